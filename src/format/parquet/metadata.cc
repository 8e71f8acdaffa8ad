#include "format/parquet/metadata.h"

#include "format/parquet/thrift_compact.h"

namespace clicktrail::format::parquet {
namespace {

// Field ids of parquet.thrift, named where they are written.
constexpr std::int32_t repetition_required = 0;
constexpr std::int32_t repetition_optional = 1;

// ConvertedType, the legacy annotation older readers understand.
constexpr std::int32_t converted_utf8 = 0;
constexpr std::int32_t converted_timestamp_millis = 9;
constexpr std::int32_t converted_timestamp_micros = 10;
constexpr std::int32_t converted_int_32 = 17;
constexpr std::int32_t converted_int_64 = 18;
constexpr std::int32_t converted_json = 19;

// SchemaElement.converted_type (field 6), for readers that predate logical types.
void write_converted(compact_writer& w, logical_type t) {
  switch (t) {
    case logical_type::none:
      return;
    case logical_type::string:
      return w.field_i32(6, converted_utf8);
    case logical_type::json:
      return w.field_i32(6, converted_json);
    case logical_type::timestamp_ms_utc:
      return w.field_i32(6, converted_timestamp_millis);
    case logical_type::timestamp_us_utc:
      return w.field_i32(6, converted_timestamp_micros);
    case logical_type::int32:
      return w.field_i32(6, converted_int_32);
    case logical_type::int64:
      return w.field_i32(6, converted_int_64);
  }
}

// SchemaElement.logicalType (field 10).
void write_logical(compact_writer& w, logical_type t) {
  if (t == logical_type::none) return;
  w.begin_struct(10);  // the LogicalType union
  switch (t) {
    case logical_type::none:
      break;
    case logical_type::string:
      w.begin_struct(1);  // STRING
      break;
    case logical_type::json:
      w.begin_struct(12);  // JSON
      break;
    case logical_type::timestamp_ms_utc:
    case logical_type::timestamp_us_utc:
      w.begin_struct(8);                                            // TIMESTAMP
      w.field_bool(1, true);                                        // isAdjustedToUTC
      w.begin_struct(2);                                            // unit
      w.begin_struct(t == logical_type::timestamp_ms_utc ? 1 : 2);  // MILLIS or MICROS
      w.end_struct();
      w.end_struct();
      break;
    case logical_type::int32:
      w.begin_struct(10);  // INTEGER
      w.field_i8(1, 32);   // bitWidth
      w.field_bool(2, true);
      break;
    case logical_type::int64:
      w.begin_struct(10);  // INTEGER
      w.field_i8(1, 64);   // bitWidth
      w.field_bool(2, true);
      break;
  }
  w.end_struct();  // the logical type's own struct
  w.end_struct();  // the LogicalType union
}

void write_statistics(compact_writer& w, const statistics& s) {
  w.begin_struct(12);
  w.field_i64(3, s.null_count);
  if (s.max_value) w.field_binary(5, *s.max_value);
  if (s.min_value) w.field_binary(6, *s.min_value);
  w.end_struct();
}

void write_column_chunk(compact_writer& w, const column_schema& schema, const column_chunk_meta& c,
                        codec compression) {
  w.begin_element_struct();                                               // ColumnChunk
  w.field_i64(2, c.dictionary_page_offset.value_or(c.data_page_offset));  // file_offset
  w.begin_struct(3);                                                      // ColumnMetaData
  w.field_i32(1, static_cast<std::int32_t>(schema.type));
  w.begin_list(2, compact_type::i32, c.encodings.size());
  for (const auto e : c.encodings) w.i32_element(static_cast<std::int32_t>(e));
  w.begin_list(3, compact_type::binary, 1);
  w.binary_element(schema.name);
  w.field_i32(4, static_cast<std::int32_t>(compression));
  w.field_i64(5, c.num_values);
  w.field_i64(6, c.total_uncompressed_size);
  w.field_i64(7, c.total_compressed_size);
  w.field_i64(9, c.data_page_offset);
  if (c.dictionary_page_offset) w.field_i64(11, *c.dictionary_page_offset);
  write_statistics(w, c.stats);
  w.end_struct();  // ColumnMetaData
  w.end_struct();  // ColumnChunk
}

}  // namespace

void append_page_header(std::string& out, const page_header& h) {
  compact_writer w(out);
  w.field_i32(1, static_cast<std::int32_t>(h.type));
  w.field_i32(2, h.uncompressed_size);
  w.field_i32(3, h.compressed_size);
  if (h.type == page_type::data) {
    w.begin_struct(5);  // DataPageHeader
    w.field_i32(1, h.num_values);
    w.field_i32(2, static_cast<std::int32_t>(h.values));
    w.field_i32(3, static_cast<std::int32_t>(encoding::rle));  // definition levels
    w.field_i32(4, static_cast<std::int32_t>(encoding::rle));  // repetition levels (none: flat)
    w.end_struct();
  } else {
    w.begin_struct(7);  // DictionaryPageHeader
    w.field_i32(1, h.num_values);
    w.field_i32(2, static_cast<std::int32_t>(encoding::plain));
    w.end_struct();
  }
  w.end_struct();
}

void append_file_meta(std::string& out, const file_meta& m) {
  compact_writer w(out);
  std::int64_t rows = 0;
  for (const auto& g : m.row_groups) rows += g.num_rows;

  w.field_i32(1, 1);  // version
  w.begin_list(2, compact_type::structure, m.schema.size() + 1);
  w.begin_element_struct();  // the root
  w.field_binary(4, "schema");
  w.field_i32(5, static_cast<std::int32_t>(m.schema.size()));
  w.end_struct();
  for (const auto& c : m.schema) {
    w.begin_element_struct();
    w.field_i32(1, static_cast<std::int32_t>(c.type));
    w.field_i32(3, c.optional ? repetition_optional : repetition_required);
    w.field_binary(4, c.name);
    write_converted(w, c.logical);
    if (c.field_id != 0) w.field_i32(9, c.field_id);
    write_logical(w, c.logical);
    w.end_struct();
  }
  w.field_i64(3, rows);
  w.begin_list(4, compact_type::structure, m.row_groups.size());
  for (const auto& g : m.row_groups) {
    w.begin_element_struct();
    w.begin_list(1, compact_type::structure, g.columns.size());
    std::int64_t uncompressed = 0, compressed = 0;
    for (std::size_t i = 0; i < g.columns.size(); ++i) {
      write_column_chunk(w, m.schema[i], g.columns[i], m.compression);
      uncompressed += g.columns[i].total_uncompressed_size;
      compressed += g.columns[i].total_compressed_size;
    }
    w.field_i64(2, uncompressed);  // total_byte_size
    w.field_i64(3, g.num_rows);
    w.field_i64(5, g.file_offset);
    w.field_i64(6, compressed);
    w.end_struct();
  }
  if (!m.key_values.empty()) {
    w.begin_list(5, compact_type::structure, m.key_values.size());
    for (const auto& [k, v] : m.key_values) {
      w.begin_element_struct();
      w.field_binary(1, k);
      w.field_binary(2, v);
      w.end_struct();
    }
  }
  w.field_binary(6, m.created_by);
  // column_orders: min_value/max_value follow each type's own order (TYPE_ORDER).
  w.begin_list(7, compact_type::structure, m.schema.size());
  for (std::size_t i = 0; i < m.schema.size(); ++i) {
    w.begin_element_struct();  // ColumnOrder union
    w.begin_struct(1);         // TYPE_ORDER
    w.end_struct();
    w.end_struct();
  }
  w.end_struct();  // FileMetaData
}

}  // namespace clicktrail::format::parquet
