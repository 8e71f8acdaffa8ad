#pragma once
// ULEB128 varints, as Thrift's compact protocol and Parquet's RLE/bit-packed run headers write
// them: 7 bits a byte, least significant first, the high bit set on every byte but the last.

#include <cstdint>
#include <string>
#include <string_view>

namespace clicktrail::format::parquet {

inline void append_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Reads one varint at `at` (which moves past it); false when the bytes end first or it is
// longer than 10 bytes or 64 bits.
inline bool read_varint(std::string_view in, std::size_t& at, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (at >= in.size()) return false;
    const auto byte = static_cast<std::uint8_t>(in[at++]);
    if (shift == 63 && byte > 1) return false;  // a tenth byte holds bit 63 alone
    v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace clicktrail::format::parquet
