#pragma once
// Just enough URL parsing for enrichment (referrers, click ids, campaign parameters), on text a
// browser or a stranger sent: no exceptions, no allocation beyond the lower-cased host, work
// linear in the input. Not a validator: it finds the parts it can, and says nullopt only when
// there is no host to be found.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace clicktrail::enrich {

// The parts of an absolute URL ("scheme://authority/path?query#fragment") or a
// scheme-relative one ("//authority/…"). Views point into the text parsed.
struct url_parts {
  std::string_view scheme;  // as written ("https"); empty for "//host/…"
  std::string host;         // ASCII lower-cased, without userinfo, port or a trailing '.'; IPv6 keeps its []
  std::string_view path;    // "/a/b", or empty
  std::string_view query;   // between '?' and '#', without them; empty when there is none
};

// nullopt when `text` has no scheme followed by "//", or no host, or a host longer than 253 bytes
// or holding a byte that cannot be in one (space, control, '%', '<', ill-formed UTF-8 …).
std::optional<url_parts> parse_url(std::string_view text);

// One name=value pair of a query string, both still percent-encoded.
struct query_parameter {
  std::string_view name, value;
};

// Takes the next pair from the front of `query` ('&'-separated; a pair without '=' has an empty
// value; empty pairs are skipped). False when none is left.
bool next_query_parameter(std::string_view& query, query_parameter& out);

// The raw value of the first parameter called `name` (exactly, case-sensitive) whose value is
// not empty, or nullopt.
std::optional<std::string_view> find_query_value(std::string_view query, std::string_view name);

// Decodes a query component: %XX escapes and '+' as a space. A '%' not followed by two hex
// digits stays as it is. The result is well-formed UTF-8 (ill-formed bytes become U+FFFD, C0
// controls and DEL a space) of at most `max_bytes` bytes, cut at a character boundary.
std::string decode_query_component(std::string_view raw, std::size_t max_bytes);

}  // namespace clicktrail::enrich
