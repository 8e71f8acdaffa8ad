#pragma once
// Parquet for schema-v1 events, written from the format's specification (Debian has no Arrow):
// one column per field, row groups cut by rows or bytes, dictionary-encoded strings with a plain
// fallback, definition levels for optional columns, min/max/null-count statistics, and the
// codec of the writer options. Each row group streams out through `write_fn` as soon as it is
// complete, column chunk by column chunk, so memory holds one row group.
//
// File layout: "PAR1", the row groups' column chunks (pages), the footer (FileMetaData in the
// Thrift compact protocol), its length, "PAR1". The footer's key-value metadata carries
// clicktrail.version, clicktrail.schema_version and the labels given to finish().

#include <memory>
#include <string>
#include <vector>

#include "format/file_writer.h"
#include "format/parquet/column.h"
#include "format/parquet/compress.h"
#include "format/parquet/metadata.h"

namespace clicktrail::format::parquet {

class parquet_writer final : public file_writer {
 public:
  parquet_writer(const writer_options& options, write_fn out, column_limits limits = {});

  base::status append(const event::event& e, std::string_view canonical) override;
  base::status finish(const file_labels& about) override;
  std::int64_t encoded_bytes() const override;
  std::int64_t records() const override { return records_; }
  std::int64_t buffered_bytes() const override;
  std::vector<column_summary> column_summaries() const override;

 private:
  base::status write_row_group();
  base::status emit(std::string_view bytes);

  writer_options options_;
  write_fn out_;
  column_limits limits_;
  compressor compressor_;
  event_columns columns_;
  file_meta meta_;
  std::string chunk_;         // the column chunk being written out
  std::int64_t written_ = 0;  // bytes handed to out_
  std::int64_t records_ = 0;
  std::int64_t group_rows_ = 0;  // rows in the row group being filled
  std::int64_t group_json_ = 0;  // their canonical JSON bytes: what row_group_bytes counts
  double ratio_ = 0.25;          // encoded bytes per JSON byte, as of the last row group
};

}  // namespace clicktrail::format::parquet
