#pragma once
// Page compression: zstd, snappy, gzip or none, as the Parquet codecs of those names.
//
// Thread-safety: a compressor belongs to one writer (one thread). The zstd context is one per
// thread, shared by every writer on it: its workspace is a few MiB, too much for each of 500
// open files. gzip's are too (format/gzip.h).

#include <string>
#include <string_view>

#include "base/result.h"
#include "config/config.h"
#include "format/parquet/metadata.h"

namespace clicktrail::format::parquet {

class compressor {
 public:
  // `level`: zstd's or gzip's (format/gzip.h; effective_level in file_writer.h gives the defaults).
  compressor(config::compression c, int level) : kind_(c), level_(level) {}

  codec parquet_codec() const noexcept;
  // Compresses `in` into `out` (replacing its content). With no compression, `out` is a copy.
  base::status compress(std::string_view in, std::string& out);

 private:
  config::compression kind_;
  int level_;
};

}  // namespace clicktrail::format::parquet
