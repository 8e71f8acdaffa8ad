#pragma once
// The part of Parquet's metadata (parquet.thrift) that clicktrail writes: page headers and the
// footer, for a flat schema of required and optional columns. Encoded with thrift_compact.h.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace clicktrail::format::parquet {

// Numeric values are the format's.
enum class physical_type : std::int32_t { boolean = 0, int32 = 1, int64 = 2, byte_array = 6 };
enum class encoding : std::int32_t { plain = 0, rle = 3, rle_dictionary = 8 };
enum class codec : std::int32_t { uncompressed = 0, snappy = 1, gzip = 2, zstd = 6 };
enum class page_type : std::int32_t { data = 0, dictionary = 2 };

// What a column's values mean, beyond their physical type.
enum class logical_type { none, string, json, timestamp_ms_utc, timestamp_us_utc, int32, int64 };

struct column_schema {
  std::string name;
  std::int32_t field_id = 0;  // SchemaElement.field_id (Iceberg's column id); 0: none written
  physical_type type = physical_type::byte_array;
  bool optional = true;
  logical_type logical = logical_type::none;
};

struct statistics {
  std::int64_t null_count = 0;
  // PLAIN-encoded values without a length prefix; absent when every value is null.
  std::optional<std::string> min_value, max_value;
};

struct page_header {
  page_type type = page_type::data;
  std::int32_t uncompressed_size = 0;
  std::int32_t compressed_size = 0;
  std::int32_t num_values = 0;  // data page: rows, nulls included; dictionary page: entries
  encoding values = encoding::plain;
};

struct column_chunk_meta {
  std::vector<encoding> encodings;
  std::int64_t num_values = 0;
  std::int64_t total_uncompressed_size = 0;  // every page, headers included
  std::int64_t total_compressed_size = 0;
  std::int64_t data_page_offset = 0;
  std::optional<std::int64_t> dictionary_page_offset;
  statistics stats;
};

struct row_group_meta {
  std::vector<column_chunk_meta> columns;  // in schema order
  std::int64_t num_rows = 0;
  std::int64_t file_offset = 0;  // of its first page
};

struct file_meta {
  std::vector<column_schema> schema;
  std::vector<row_group_meta> row_groups;
  std::vector<std::pair<std::string, std::string>> key_values;
  std::string created_by;
  codec compression = codec::uncompressed;
};

void append_page_header(std::string& out, const page_header& h);
void append_file_meta(std::string& out, const file_meta& m);

}  // namespace clicktrail::format::parquet
