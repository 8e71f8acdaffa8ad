#pragma once
// UTF-8 as RFC 3629 defines it, for the JSON writers (base/json_string, event/json_text), which
// copy well-formed characters and replace what is not.

#include <cstddef>

namespace clicktrail::base {

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
