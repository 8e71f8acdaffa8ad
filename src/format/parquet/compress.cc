#include "format/parquet/compress.h"

#include <fmt/format.h>
#include <libdeflate.h>
#include <snappy.h>
#include <zstd.h>

namespace clicktrail::format::parquet {
namespace {

// zstd level 3 (zstd's default) and gzip level 6 (zlib's): the libraries' own balance of speed
// and size. See bench/parquet for what they cost.
constexpr int zstd_level = 3;
constexpr int gzip_level = 6;

// libdeflate: a page is one buffer, which it compresses twice as fast as zlib's deflate.
libdeflate_compressor* thread_gzip_compressor() {
  struct compressor {
    libdeflate_compressor* c = libdeflate_alloc_compressor(gzip_level);
    ~compressor() { libdeflate_free_compressor(c); }
  };
  thread_local compressor c;
  return c.c;
}

// The gzip wrapper, which the Parquet GZIP codec means.
base::status gzip(std::string_view in, std::string& out) {
  libdeflate_compressor* c = thread_gzip_compressor();
  if (c == nullptr) return base::error::fail("gzip: could not start the compressor (out of memory?)");
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
      return gzip(in, out);
    case config::compression::zstd: {
      out.resize(ZSTD_compressBound(in.size()));
      const std::size_t n =
          ZSTD_compressCCtx(thread_zstd_context(), out.data(), out.size(), in.data(), in.size(), zstd_level);
      if (ZSTD_isError(n))
        return base::error::fail(fmt::format("zstd: compression failed: {}", ZSTD_getErrorName(n)));
      out.resize(n);
      return {};
    }
  }
  return {};
}

}  // namespace clicktrail::format::parquet
