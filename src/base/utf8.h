#pragma once
// UTF-8 as RFC 3629 defines it, for the JSON writers (base/json_string, event/json_text), which
// copy well-formed characters and replace what is not, and for the checks before them.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace clicktrail::base {

// The `Word` (an unsigned integer) at p, unaligned, in the host's byte order.
template <class Word>
std::uint64_t load_word(const char* p) noexcept {
  Word w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Most text is ASCII, which is well-formed UTF-8: eight bytes at a time, without a call, before
// a full check (simdjson's validate_utf8 costs ~110 instructions on a short value). The bytes
// past the last whole eight are read as the text's last eight, overlapping; shorter text as two
// overlapping fours, or its first, middle and last byte: a loop over them cost more than the rest
// on the short values events are made of.
inline bool is_ascii(std::string_view s) noexcept {
  const char* p = s.data();
  const std::size_t n = s.size();
  std::uint64_t high = 0;
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 <= n; i += 8) high |= load_word<std::uint64_t>(p + i);
    high |= load_word<std::uint64_t>(p + n - 8);
  } else if (n >= 4) {
    high = load_word<std::uint32_t>(p) | load_word<std::uint32_t>(p + n - 4);
  } else if (n > 0) {
    high = static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[n / 2]) |
           static_cast<unsigned char>(p[n - 1]);
  }
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
