#pragma once
// Small ASCII text helpers for protocol text: header values, config lines, media types.

#include <cstddef>
#include <string>
#include <string_view>

namespace clicktrail::base {

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
