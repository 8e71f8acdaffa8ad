#include "format/parquet/thrift_compact.h"

#include "format/parquet/varint.h"

namespace clicktrail::format::parquet {

void compact_writer::field_header(std::int16_t id, compact_type t) {
  const int delta = id - last_ids_.back();
  if (delta > 0 && delta <= 15) {
    out_.push_back(static_cast<char>((delta << 4) | static_cast<int>(t)));
  } else {
    out_.push_back(static_cast<char>(t));
    append_varint(out_, zigzag(id));
  }
  last_ids_.back() = id;
}

void compact_writer::field_bool(std::int16_t id, bool v) {
  field_header(id, v ? compact_type::bool_true : compact_type::bool_false);
}

void compact_writer::field_i8(std::int16_t id, std::int8_t v) {
  field_header(id, compact_type::i8);
  out_.push_back(static_cast<char>(v));
}

void compact_writer::field_i32(std::int16_t id, std::int32_t v) {
  field_header(id, compact_type::i32);
  append_varint(out_, zigzag(v));
}

void compact_writer::field_i64(std::int16_t id, std::int64_t v) {
  field_header(id, compact_type::i64);
  append_varint(out_, zigzag(v));
}

void compact_writer::field_binary(std::int16_t id, std::string_view v) {
  field_header(id, compact_type::binary);
  binary_element(v);
}

void compact_writer::i32_element(std::int32_t v) {
  append_varint(out_, zigzag(v));
}

void compact_writer::binary_element(std::string_view v) {
  append_varint(out_, v.size());
  out_.append(v);
}

void compact_writer::begin_struct(std::int16_t id) {
  field_header(id, compact_type::structure);
  last_ids_.push_back(0);
}

void compact_writer::begin_element_struct() {
  last_ids_.push_back(0);
}

void compact_writer::end_struct() {
  out_.push_back(0);
  if (last_ids_.size() > 1) last_ids_.pop_back();
}

void compact_writer::begin_list(std::int16_t id, compact_type element, std::size_t size) {
  field_header(id, compact_type::list);
  if (size < 15) {
    out_.push_back(static_cast<char>((size << 4) | static_cast<std::size_t>(element)));
  } else {
    out_.push_back(static_cast<char>(0xf0 | static_cast<int>(element)));
    append_varint(out_, size);
  }
}

}  // namespace clicktrail::format::parquet
