#include "format/parquet/compress.h"

#include <fmt/format.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

namespace clicktrail::format::parquet {
namespace {

// zstd level 3 (zstd's default) and zlib level 6 (zlib's): the libraries' own balance of speed
// and size. See bench/parquet for what they cost.
constexpr int zstd_level = 3;
constexpr int gzip_level = 6;

base::status gzip(std::string_view in, std::string& out) {
  z_stream zs{};
  // windowBits 16 + 15: the gzip wrapper, which the Parquet GZIP codec means.
  if (deflateInit2(&zs, gzip_level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return base::error::fail("gzip: could not start the compressor (out of memory?)");
  }
  out.resize(deflateBound(&zs, static_cast<uLong>(in.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return base::error::fail(fmt::format("gzip: compression failed (zlib {})", rc));
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
