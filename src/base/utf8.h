#pragma once
// UTF-8 as RFC 3629 defines it, for the JSON writers (base/json_string, event/json_text), which
// copy well-formed characters and replace what is not, and for the checks before them.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace clicktrail::base {

// Most text is ASCII, which is well-formed UTF-8: eight bytes at a time, without a call, before
// a full check (simdjson's validate_utf8 costs ~110 instructions on a short value).
inline bool is_ascii(std::string_view s) noexcept {
  std::uint64_t high = 0;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    high |= w;
  }
  for (; i < s.size(); ++i) high |= static_cast<unsigned char>(s[i]);
  return (high & 0x8080808080808080ULL) == 0;
}

inline bool utf8_continuation(unsigned char c) noexcept {
  return (c & 0xC0) == 0x80;
}

// The length of the well-formed UTF-8 character at p[0] (a byte >= 0x80), with `left` bytes
// readable from p, or 0 when it is not one: RFC 3629's table, which rules out overlong forms,
// surrogates and values past U+10FFFF.
inline std::size_t utf8_length(const unsigned char* p, std::size_t left) noexcept {
  const unsigned char c = p[0];
  if (c < 0xC2) return 0;
  if (c < 0xE0) return left >= 2 && utf8_continuation(p[1]) ? 2 : 0;
  if (c < 0xF0) {
    if (left < 3 || !utf8_continuation(p[2])) return 0;
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return p[1] >= lo && p[1] <= hi ? 3 : 0;
  }
  if (c < 0xF5) {
    if (left < 4 || !utf8_continuation(p[2]) || !utf8_continuation(p[3])) return 0;
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return p[1] >= lo && p[1] <= hi ? 4 : 0;
  }
  return 0;
}

}  // namespace clicktrail::base
