#include "format/avro/binary.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

namespace clicktrail::format::avro {
namespace {

template <class T>
void put_little_endian(std::string& out, T v) {
  static_assert(std::endian::native == std::endian::little,
                "Avro's floats are little-endian, as this machine");
  char bytes[sizeof v];
  std::memcpy(bytes, &v, sizeof v);
  out.append(bytes, sizeof v);
}

}  // namespace

void put_long(std::string& out, std::int64_t v) {
  auto zigzag = (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
  char bytes[10];
  std::size_t n = 0;
  while (zigzag >= 0x80) {
    bytes[n++] = static_cast<char>((zigzag & 0x7f) | 0x80);
    zigzag >>= 7;
  }
  bytes[n++] = static_cast<char>(zigzag);
  out.append(bytes, n);
}

void put_bool(std::string& out, bool v) {
  out.push_back(v ? '\1' : '\0');
}

void put_float(std::string& out, float v) {
  put_little_endian(out, v);
}

void put_double(std::string& out, double v) {
  put_little_endian(out, v);
}

void put_bytes(std::string& out, std::string_view v) {
  put_long(out, static_cast<std::int64_t>(v.size()));
  out.append(v);
}

void decoder::fail(std::string why) {
  if (error_.empty()) error_ = fmt::format("{} at byte {}", why, at_);
}

std::string_view decoder::take(std::size_t n, std::string_view what) {
  // After a failure: empty, but pointing somewhere, as callers may hand it to memcpy.
  constexpr std::string_view nothing("", 0);
  if (!ok()) return nothing;
  if (n > remaining()) {
    fail(fmt::format("{} needs {} bytes, {} are left", what, n, remaining()));
    return nothing;
  }
  const std::string_view out = bytes_.substr(at_, n);
  at_ += n;
  return out;
}

std::int64_t decoder::get_long() {
  std::uint64_t zigzag = 0;
  for (int shift = 0; ok(); shift += 7) {
    if (at_ == bytes_.size()) {
      fail("a long runs past the end");
      break;
    }
    const auto byte = static_cast<unsigned char>(bytes_[at_++]);
    if (shift == 63 && byte > 1) {
      fail("a long is longer than 64 bits");
      break;
    }
    zigzag |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return static_cast<std::int64_t>((zigzag >> 1) ^ (~(zigzag & 1) + 1));
  }
  return 0;
}

std::int32_t decoder::get_int() {
  const std::int64_t v = get_long();
  if (v < INT32_MIN || v > INT32_MAX) {
    fail(fmt::format("an int is {}, outside 32 bits", v));
    return 0;
  }
  return static_cast<std::int32_t>(v);
}

bool decoder::get_bool() {
  const std::string_view b = take(1, "a boolean");
  if (b.empty()) return false;
  if (b[0] != '\0' && b[0] != '\1')
    fail(fmt::format("a boolean is byte {}, not 0 or 1", static_cast<int>(b[0])));
  return b[0] == '\1';
}

float decoder::get_float() {
  float v = 0;
  if (const std::string_view b = take(sizeof v, "a float"); !b.empty()) std::memcpy(&v, b.data(), sizeof v);
  return v;
}

double decoder::get_double() {
  double v = 0;
  if (const std::string_view b = take(sizeof v, "a double"); !b.empty()) std::memcpy(&v, b.data(), sizeof v);
  return v;
}

std::string_view decoder::get_bytes() {
  const std::int64_t n = get_long();
  if (n < 0) {
    fail(fmt::format("a length is negative ({})", n));
    return take(0, "");
  }
  return take(static_cast<std::size_t>(n), "a string or bytes");
}

std::string_view decoder::get_fixed(std::size_t size) {
  return take(size, "a fixed");
}

}  // namespace clicktrail::format::avro
