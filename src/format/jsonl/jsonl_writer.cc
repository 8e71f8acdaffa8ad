#include "format/jsonl/jsonl_writer.h"

#include <zlib.h>

#include <string>

namespace clicktrail::format {
namespace {

// Encoded bytes are handed on in chunks of this size: large enough that an S3 part is a few
// calls, small enough to keep memory flat.
constexpr std::size_t chunk_bytes = 256 * 1024;

class jsonl_writer final : public file_writer {
 public:
  jsonl_writer(bool gzip, write_fn out) : gzip_(gzip), out_(std::move(out)) {
    if (gzip_) {
      // Level 6 is zlib's default trade-off; windowBits 16+15 asks for the gzip wrapper.
      deflateInit2(&zs_, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    }
    pending_.reserve(chunk_bytes);
  }
  ~jsonl_writer() override {
    if (gzip_) deflateEnd(&zs_);
  }

  base::status append(const event::event&, std::string_view canonical) override {
    ++records_;
    line_.assign(canonical);
    line_.push_back('\n');
    return gzip_ ? deflate_some(line_, Z_NO_FLUSH) : buffer(line_);
  }

  base::status finish(const file_labels&) override {
    if (gzip_) {
      if (auto s = deflate_some({}, Z_FINISH); !s) return s;
    }
    return flush_pending();
  }

  std::int64_t encoded_bytes() const override {
    // zlib holds up to a window of input before emitting; counting the input not yet emitted
    // at a typical 8:1 ratio keeps size-based rotation close without flushing the compressor.
    const auto held = gzip_ ? static_cast<std::int64_t>(zs_.total_in - emitted_in_) / 8 : 0;
    return written_ + static_cast<std::int64_t>(pending_.size()) + held;
  }
  std::int64_t records() const override { return records_; }
  std::int64_t buffered_bytes() const override { return static_cast<std::int64_t>(pending_.size()); }

 private:
  base::status buffer(std::string_view bytes) {
    pending_.append(bytes);
    return pending_.size() >= chunk_bytes ? flush_pending() : base::status{};
  }

  base::status flush_pending() {
    if (pending_.empty()) return {};
    auto s = out_(pending_);
    written_ += static_cast<std::int64_t>(pending_.size());
    pending_.clear();
    if (gzip_) emitted_in_ = zs_.total_in;
    return s;
  }

  base::status deflate_some(std::string_view in, int flush) {
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs_.avail_in = static_cast<uInt>(in.size());
    char out[64 * 1024];
    int rc = Z_OK;
    do {
      zs_.next_out = reinterpret_cast<Bytef*>(out);
      zs_.avail_out = sizeof out;
      rc = deflate(&zs_, flush);
      if (rc == Z_STREAM_ERROR) return base::error::fail("gzip compression failed");
      const std::size_t produced = sizeof out - zs_.avail_out;
      if (produced > 0) {
        if (auto s = buffer(std::string_view(out, produced)); !s) return s;
      }
    } while (zs_.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    return {};
  }

  bool gzip_;
  write_fn out_;
  z_stream zs_{};
  std::string line_;
  std::string pending_;
  std::int64_t written_ = 0;
  std::int64_t records_ = 0;
  uLong emitted_in_ = 0;
};

}  // namespace

std::unique_ptr<file_writer> make_jsonl_writer(bool gzip, write_fn out) {
  return std::make_unique<jsonl_writer>(gzip, std::move(out));
}

}  // namespace clicktrail::format
