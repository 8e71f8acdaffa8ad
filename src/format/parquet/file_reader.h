#pragma once
// Reads a Parquet file back: its footer (schema, row groups, column chunks with statistics,
// key-value metadata) and the values of any column chunk. For `clicktrail inspect` and the
// writer's round-trip tests and fuzzing; it reads flat files of BOOLEAN, INT32, INT64 and
// BYTE_ARRAY columns with v1 data pages, PLAIN or dictionary encoded, with any of the codecs
// clicktrail writes — its own files, and most that other writers make for such columns.
//
// Input is untrusted: every offset and size is checked, and a malformed file is an error that
// names what is wrong, never a crash.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/result.h"
#include "format/parquet/metadata.h"

namespace clicktrail::format::parquet {

struct column_info {
  std::string name;
  std::int32_t physical = 0;  // parquet Type
  bool optional = false;
  std::string logical;  // "STRING", "JSON", "TIMESTAMP(MILLIS,UTC)", "INT(32,signed)", …; "" when none
};

struct chunk_info {
  std::int32_t codec = 0;
  std::vector<std::int32_t> encodings;
  std::int64_t num_values = 0;
  std::int64_t compressed_size = 0, uncompressed_size = 0;
  std::int64_t data_page_offset = 0;
  std::optional<std::int64_t> dictionary_page_offset;
  std::optional<std::int64_t> null_count;
  std::optional<std::string> min_value, max_value;  // PLAIN-encoded, as stored
};

struct row_group_info {
  std::int64_t num_rows = 0;
  std::vector<chunk_info> columns;
};

struct file_info {
  std::vector<column_info> columns;
  std::vector<row_group_info> row_groups;
  std::int64_t num_rows = 0;
  std::string created_by;
  std::vector<std::pair<std::string, std::string>> key_values;
  std::int64_t footer_bytes = 0;
};

// One value: null, or the column's physical type.
using cell = std::variant<std::monostate, bool, std::int32_t, std::int64_t, std::string>;

class file_reader {
 public:
  // `bytes` is the whole file.
  static base::result<file_reader> open(std::string bytes);

  const file_info& info() const noexcept { return info_; }
  base::result<std::vector<cell>> read_column(std::size_t row_group, std::size_t column) const;

 private:
  std::string bytes_;
  file_info info_;
};

// Names for messages: "BYTE_ARRAY", "ZSTD", "RLE_DICTIONARY".
std::string physical_type_name(std::int32_t t);
std::string codec_name(std::int32_t c);
std::string encoding_name(std::int32_t e);

}  // namespace clicktrail::format::parquet
