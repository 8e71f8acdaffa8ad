#include "format/gzip.h"

#include <fmt/format.h>
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "config/config.h"

namespace clicktrail::format {
namespace {

constexpr int most_level = config::most_compression_level(config::compression::gzip);

libdeflate_compressor* thread_libdeflate(int level) {
  struct compressors {
    std::array<libdeflate_compressor*, most_level + 1> by_level{};
    ~compressors() {
      for (libdeflate_compressor* c : by_level) libdeflate_free_compressor(c);
    }
  };
  thread_local compressors all;
  libdeflate_compressor*& c = all.by_level[static_cast<std::size_t>(level)];
  if (c == nullptr) c = libdeflate_alloc_compressor(level);
  return c;
}

// Where a member is compressed to before it is appended: growing `out` by the worst case would
// zero-fill a member's size for each member, where this copies only the compressed bytes (about
// a twentieth of that for clickstream lines).
std::span<char> thread_scratch(std::size_t bytes) {
  thread_local std::unique_ptr<char[]> buffer;
  thread_local std::size_t size = 0;
  if (size < bytes) {
    buffer = std::make_unique_for_overwrite<char[]>(bytes);
    size = bytes;
  }
  return {buffer.get(), size};
}

base::status append_libdeflate(std::string_view in, int level, std::string& out) {
  libdeflate_compressor* c = thread_libdeflate(level);
  if (c == nullptr) {
    return base::error::fail(
        fmt::format("gzip: could not start a compressor at level {} (out of memory?)", level));
  }
  const auto to = thread_scratch(libdeflate_gzip_compress_bound(c, in.size()));
  const std::size_t n = libdeflate_gzip_compress(c, in.data(), in.size(), to.data(), to.size());
  // The bound is libdeflate's own, so this cannot happen short of a bug: report it.
  if (n == 0)
    return base::error::fail("gzip: libdeflate found its output bound too small; please report this");
  out.append(to.data(), n);
  return {};
}

// igzip's stream (80 KiB) and its level-1 hash buffer, kept on the heap.
struct igzip_state {
  isal_zstream stream{};
  std::vector<std::uint8_t> level_buffer = std::vector<std::uint8_t>(ISAL_DEF_LVL1_DEFAULT);
};

base::status append_igzip(std::string_view in, std::string& out) {
  // One call compresses the whole buffer, whose size igzip counts in 32 bits; a member or a page
  // is a few MiB at most.
  if (in.size() > std::numeric_limits<std::uint32_t>::max() / 2) {
    return base::error::fail(fmt::format(
        "gzip: {} bytes is over the 2 GiB that level 1 (ISA-L) takes at once; use a level from 2 to 12",
        in.size()));
  }
  thread_local const auto state = std::make_unique<igzip_state>();
  isal_zstream& s = state->stream;
  isal_deflate_stateless_init(&s);
  s.level = 1;
  s.level_buf = state->level_buffer.data();
  s.level_buf_size = static_cast<std::uint32_t>(state->level_buffer.size());
  s.gzip_flag = IGZIP_GZIP;
  s.end_of_stream = 1;
  s.flush = NO_FLUSH;
  // At worst igzip stores the input: 5 bytes of block header per 64 KiB, and its own headers.
  const auto to = thread_scratch(in.size() + 5 * (in.size() / 65535 + 1) + ISAL_DEF_MAX_HDR_SIZE + 64);
  s.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(in.data()));  // read only
  s.avail_in = static_cast<std::uint32_t>(in.size());
  s.next_out = reinterpret_cast<std::uint8_t*>(to.data());
  s.avail_out =
      static_cast<std::uint32_t>(std::min<std::size_t>(to.size(), std::numeric_limits<std::uint32_t>::max()));
  if (const int rc = isal_deflate_stateless(&s); rc != COMP_OK) {
    // The output has room for the input stored as it is, so this cannot happen short of a bug.
    return base::error::fail(fmt::format(
        "gzip: ISA-L's compression failed (code {}); please report this, and use a level from 2 to 12 "
        "meanwhile",
        rc));
  }
  out.append(to.data(), s.total_out);
  return {};
}

}  // namespace

base::status append_gzip_member(std::string_view in, int level, std::string& out) {
  if (level < 1 || level > most_level) {
    return base::error::fail(fmt::format(
        "gzip: level {} is not one of 1 to {}; set sink.compression_level (or --compression-level) to one",
        level, most_level));
  }
  return level == 1 ? append_igzip(in, out) : append_libdeflate(in, level, out);
}

}  // namespace clicktrail::format
