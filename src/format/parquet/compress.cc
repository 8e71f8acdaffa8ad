#include "format/parquet/compress.h"

#include <fmt/format.h>
#include <snappy.h>
#include <zstd.h>

#include "format/gzip.h"

namespace clicktrail::format::parquet {
namespace {

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
      out.clear();  // the gzip wrapper, which the Parquet GZIP codec means
      return append_gzip_member(in, level_, out);
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
