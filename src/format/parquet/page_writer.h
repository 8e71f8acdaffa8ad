#pragma once
// Writes the pages of a column chunk — header, then the compressed body — into the row group's
// bytes, and keeps the chunk's metadata (offsets, sizes, value count) in step.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "format/parquet/compress.h"
#include "format/parquet/metadata.h"

namespace clicktrail::format::parquet {

class page_writer {
 public:
  // `out` collects the bytes; `out_offset` is where out[0] sits in the file.
  page_writer(compressor& c, std::string& out, std::int64_t out_offset)
      : compressor_(c), out_(out), out_offset_(out_offset) {}

  base::status dictionary_page(std::int32_t entries, std::string_view body, column_chunk_meta& meta);
  base::status data_page(std::int32_t rows, encoding values, std::string_view body, column_chunk_meta& meta);

 private:
  base::status write(page_header h, std::string_view body, column_chunk_meta& meta);

  compressor& compressor_;
  std::string& out_;
  std::int64_t out_offset_;
  std::string compressed_;
};

}  // namespace clicktrail::format::parquet
