#pragma once
// Small ASCII text helpers for protocol text: header values, config lines, media types.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace clicktrail::base {

namespace detail {
constexpr std::array<std::int8_t, 256> hex_values = [] {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'A' + 10);
  return t;
}();
}  // namespace detail

// A hex digit's value (either case), or -1: one load instead of three range tests, whose
// branches miss on the unpredictable digits of ids and escapes.
inline int hex_value(char c) noexcept {
  return detail::hex_values[static_cast<unsigned char>(c)];
}

// The first position from `from` on whose character `is` holds, or s.size(). A loop rather than
// find_first_of, which calls memchr over its set for every character it passes: ten times the
// instructions on the short values of URLs and forms.
template <class Pred>
std::size_t first_where(std::string_view s, std::size_t from, Pred is) {
  while (from < s.size() && !is(s[from])) ++from;
  return from;
}

// Without leading and trailing spaces, tabs, CRs and LFs.
std::string_view trim(std::string_view s) noexcept;

// Equal ignoring ASCII case ("Application/JSON" == "application/json").
bool iequals(std::string_view a, std::string_view b) noexcept;

// RFC 3986 percent-encoding: every byte except the unreserved A-Z a-z 0-9 - . _ ~ becomes %XX
// (upper-case hex); '/' is kept when `keep_slash` (paths) and encoded otherwise (query strings).
// What SigV4 signs, and what a query string rebuilt from decoded parameters needs.
std::string uri_encode(std::string_view raw, bool keep_slash);

}  // namespace clicktrail::base
