#pragma once
// Avro's binary encoding (the specification's "Binary Encoding"): the primitives that Iceberg's
// manifests and manifest lists are made of, written onto a string, and read back by a cursor that
// checks every length against the bytes there are. Input is untrusted: a short or malformed
// datum sets the decoder's error, never reads past its end.

#include <cstdint>
#include <string>
#include <string_view>

namespace clicktrail::format::avro {

// int and long alike: zig-zag, then a little-endian base-128 varint.
void put_long(std::string& out, std::int64_t v);
void put_bool(std::string& out, bool v);
void put_float(std::string& out, float v);    // IEEE 754, little-endian
void put_double(std::string& out, double v);  // IEEE 754, little-endian
// bytes and string alike: the length as a long, then the bytes.
void put_bytes(std::string& out, std::string_view v);

class decoder {
 public:
  explicit decoder(std::string_view bytes) : bytes_(bytes) {}

  std::int64_t get_long();
  std::int32_t get_int();  // a long that must fit 32 bits
  bool get_bool();
  float get_float();
  double get_double();
  std::string_view get_bytes();
  std::string_view get_fixed(std::size_t size);

  // The first problem met, or empty: once set, every read returns a zero value.
  const std::string& error() const { return error_; }
  bool ok() const { return error_.empty(); }
  void fail(std::string why);
  std::size_t position() const { return at_; }
  std::size_t remaining() const { return bytes_.size() - at_; }

 private:
  std::string_view take(std::size_t n, std::string_view what);

  std::string_view bytes_;
  std::size_t at_ = 0;
  std::string error_;
};

}  // namespace clicktrail::format::avro
