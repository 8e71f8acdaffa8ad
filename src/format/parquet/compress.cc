#include "format/parquet/compress.h"

#include <fmt/format.h>
#include <libdeflate.h>
#include <snappy.h>
#include <zstd.h>

#include <array>

namespace clicktrail::format::parquet {
namespace {

// libdeflate: a page is one buffer, which it compresses twice as fast as zlib's deflate. One
// compressor per thread and level, made when first used.
constexpr int most_gzip_level = config::most_compression_level(config::compression::gzip);
libdeflate_compressor* thread_gzip_compressor(int level) {
  struct compressors {
    std::array<libdeflate_compressor*, most_gzip_level + 1> by_level{};
    ~compressors() {
      for (libdeflate_compressor* c : by_level) libdeflate_free_compressor(c);
    }
  };
  thread_local compressors all;
  if (level < 1 || level > most_gzip_level) return nullptr;
  libdeflate_compressor*& c = all.by_level[static_cast<std::size_t>(level)];
  if (c == nullptr) c = libdeflate_alloc_compressor(level);
  return c;
}

// The gzip wrapper, which the Parquet GZIP codec means.
base::status gzip(std::string_view in, std::string& out, int level) {
  libdeflate_compressor* c = thread_gzip_compressor(level);
  if (c == nullptr) {
    return base::error::fail(
        fmt::format("gzip: could not start a compressor at level {} (out of memory?)", level));
  }
  out.resize(libdeflate_gzip_compress_bound(c, in.size()));
  const std::size_t n = libdeflate_gzip_compress(c, in.data(), in.size(), out.data(), out.size());
  if (n == 0) return base::error::fail("gzip: compression failed");
  out.resize(n);
  return {};
}

ZSTD_CCtx* thread_zstd_context() {
  struct context {
    ZSTD_CCtx* ctx = ZSTD_createCCtx();
    ~context() { ZSTD_freeCCtx(ctx); }
  };
  thread_local context c;
  return c.ctx;
}

}  // namespace

codec compressor::parquet_codec() const noexcept {
  switch (kind_) {
    case config::compression::zstd:
      return codec::zstd;
    case config::compression::snappy:
      return codec::snappy;
    case config::compression::gzip:
      return codec::gzip;
    case config::compression::none:
      return codec::uncompressed;
  }
  return codec::uncompressed;
}

base::status compressor::compress(std::string_view in, std::string& out) {
  switch (kind_) {
    case config::compression::none:
      out.assign(in);
      return {};
    case config::compression::snappy: {
      out.resize(snappy::MaxCompressedLength(in.size()));
      std::size_t n = 0;
      snappy::RawCompress(in.data(), in.size(), out.data(), &n);
      out.resize(n);
      return {};
    }
    case config::compression::gzip:
      return gzip(in, out, level_);
    case config::compression::zstd: {
      out.resize(ZSTD_compressBound(in.size()));
      const std::size_t n =
          ZSTD_compressCCtx(thread_zstd_context(), out.data(), out.size(), in.data(), in.size(), level_);
      if (ZSTD_isError(n))
        return base::error::fail(fmt::format("zstd: compression failed: {}", ZSTD_getErrorName(n)));
      out.resize(n);
      return {};
    }
  }
  return {};
}

}  // namespace clicktrail::format::parquet
