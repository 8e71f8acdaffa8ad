#pragma once
// Thrift's compact protocol, the encoding of Parquet's metadata (the footer and page headers),
// written by hand for the few field types Parquet uses. Fields are written in ascending id order
// within each struct; the writer tracks the last id of every open struct for the delta headers.
//
//   compact_writer w(out);
//   w.field_i32(1, 2);                 // FileMetaData.version
//   w.begin_list(2, compact_type::structure, n);
//   w.begin_element_struct(); …; w.end_struct();
//   w.end_struct();                    // the top-level stop

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clicktrail::format::parquet {

// The type nibbles of the compact protocol.
enum class compact_type : std::uint8_t {
  bool_true = 1,
  bool_false = 2,
  i8 = 3,
  i16 = 4,
  i32 = 5,
  i64 = 6,
  binary = 8,
  list = 9,
  structure = 12,
};

class compact_writer {
 public:
  explicit compact_writer(std::string& out) : out_(out) {}

  void field_bool(std::int16_t id, bool v);
  void field_i8(std::int16_t id, std::int8_t v);
  void field_i32(std::int16_t id, std::int32_t v);
  void field_i64(std::int16_t id, std::int64_t v);
  void field_binary(std::int16_t id, std::string_view v);
  // A struct (or union) field: its fields follow, then end_struct().
  void begin_struct(std::int16_t id);
  // A struct as a list element: its fields follow, then end_struct().
  void begin_element_struct();
  // Writes the stop byte of the innermost open struct (or of the message itself).
  void end_struct();
  // A list field with `size` elements of `element` type, written next with the *_element calls.
  void begin_list(std::int16_t id, compact_type element, std::size_t size);
  void i32_element(std::int32_t v);
  void binary_element(std::string_view v);

 private:
  void field_header(std::int16_t id, compact_type t);
  static std::uint64_t zigzag(std::int64_t v) {
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
  }

  std::string& out_;
  std::vector<std::int16_t> last_ids_{0};  // one per open struct; the message is the outermost
};

}  // namespace clicktrail::format::parquet
