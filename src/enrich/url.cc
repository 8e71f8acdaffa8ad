#include "enrich/url.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "base/text.h"
#include "base/utf8.h"

namespace clicktrail::enrich {
namespace {

constexpr std::size_t max_host = 253;  // RFC 1035's limit for a name written out

bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ':'. npos when there is none.
std::size_t scheme_end(std::string_view text) noexcept {
  if (text.empty() || !is_alpha(text[0])) return std::string_view::npos;
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ':') return i;
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return std::string_view::npos;
  }
  return std::string_view::npos;
}

// What each byte becomes in a registered name: itself lower-cased (letters, digits, '-', '.',
// '_', '~'), 0x80 for the bytes of non-ASCII characters (checked as UTF-8 apart), or 0 when it
// cannot be in one. One load a byte, in place of a test for each kind.
constexpr std::array<char, 256> host_bytes = [] {
  std::array<char, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c);
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c | 0x20);
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c);
  for (const char c : {'-', '.', '_', '~'}) t[static_cast<unsigned char>(c)] = c;
  for (std::size_t c = 0x80; c < 0x100; ++c) t[c] = static_cast<char>(0x80);
  return t;
}();

// Lower-cases a registered name into `out`; false when a byte cannot be part of one. Non-ASCII
// must be well-formed UTF-8 (internationalised names as a browser may show them).
bool lower_host(std::string_view host, std::string& out) {
  out.assign(host);  // then lower-cased in place: each byte is kept or changes case
  const auto* p = reinterpret_cast<const unsigned char*>(host.data());
  for (std::size_t i = 0; i < host.size();) {
    const char to = host_bytes[p[i]];
    if (to == 0) return false;
    if (to == static_cast<char>(0x80)) {
      const std::size_t n = base::utf8_length(p + i, host.size() - i);
      if (n == 0) return false;
      i += n;
      continue;
    }
    out[i++] = to;
  }
  while (!out.empty() && out.back() == '.') out.pop_back();
  return !out.empty();
}

// An IPv6 literal "[…]": hex digits, ':' and '.' only (an IPv4 tail), lower-cased.
bool lower_ipv6(std::string_view literal, std::string& out) {
  if (literal.size() < 3) return false;
  out.assign(literal);
  for (std::size_t i = 1; i + 1 < out.size(); ++i) {
    char& c = out[i];
    if (base::hex_value(c) < 0 && c != ':' && c != '.') return false;
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c | 0x20);
  }
  return true;
}

// Where `text` first holds `a` or `b`, or its size: memchr, then the second search only before
// the first's find. (A loop over the bytes asking for either was most of parse_url's work.)
std::size_t find_either(std::string_view text, char a, char b) noexcept {
  std::size_t end = text.size();
  for (const char c : {a, b}) {
    if (end == 0) break;  // (memchr must not be given the null data() of an empty view)
    if (const void* at = std::memchr(text.data(), c, end))
      end = static_cast<std::size_t>(static_cast<const char*>(at) - text.data());
  }
  return end;
}

void append_replacement(std::string& out) {
  out += "\xEF\xBF\xBD";
}  // U+FFFD

}  // namespace

std::optional<url_parts> parse_url(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);

  url_parts url;
  if (const std::size_t colon = scheme_end(text); colon != std::string_view::npos) {
    url.scheme = text.substr(0, colon);
    text.remove_prefix(colon + 1);
  }
  if (!text.starts_with("//")) return std::nullopt;
  text.remove_prefix(2);

  // The authority ends at the first '/', '?' or '#'; userinfo, at its last '@'.
  const std::size_t slash = text.find('/');
  const std::size_t authority_end = find_either(text.substr(0, slash), '?', '#');
  std::string_view authority = text.substr(0, authority_end);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);
  const std::string_view rest = text.substr(authority_end);

  std::string_view host = authority;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(0, close + 1);
    if (!lower_ipv6(host, url.host)) return std::nullopt;
  } else {
    host = authority.substr(0, authority.find(':'));
    if (host.size() > max_host || !lower_host(host, url.host)) return std::nullopt;
  }

  // The path ends at the first '?' or '#'; a query runs from '?' to '#'.
  const std::size_t path_end = find_either(rest, '?', '#');
  url.path = rest.substr(0, path_end);
  if (path_end < rest.size() && rest[path_end] == '?') {
    const std::string_view after = rest.substr(path_end + 1);
    url.query = after.substr(0, after.find('#'));
  }
  return url;
}

bool next_query_parameter(std::string_view& query, query_parameter& out) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    out.name = pair.substr(0, eq);
    out.value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    return true;
  }
  return false;
}

std::optional<std::string_view> find_query_value(std::string_view query, std::string_view name) {
  query_parameter p;
  while (next_query_parameter(query, p)) {
    if (p.name == name && !p.value.empty()) return p.value;
  }
  return std::nullopt;
}

std::string decode_query_component(std::string_view raw, std::size_t max_bytes) {
  std::string bytes;
  bytes.reserve(std::min(raw.size(), max_bytes + 4));
  // Bounded work however long `raw` is: every decoded byte gives at least one output byte, so
  // the output is full before the repair below reads past decoded byte max_bytes, and a
  // character starting there is at most 4 bytes long.
  for (std::size_t i = 0; i < raw.size() && bytes.size() < max_bytes + 4; ++i) {
    const char c = raw[i];
    if (c == '+') {
      bytes += ' ';
    } else if (c == '%' && i + 2 < raw.size() && base::hex_value(raw[i + 1]) >= 0 &&
               base::hex_value(raw[i + 2]) >= 0) {
      bytes += static_cast<char>(base::hex_value(raw[i + 1]) * 16 + base::hex_value(raw[i + 2]));
      i += 2;
    } else {
      bytes += c;
    }
  }

  std::string out;
  out.reserve(std::min(bytes.size(), max_bytes));
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (std::size_t i = 0; i < bytes.size();) {
    const unsigned char c = p[i];
    std::size_t n = 1;
    std::string piece;
    if (c < 0x20 || c == 0x7F) {
      piece = " ";
    } else if (c < 0x80) {
      piece.assign(1, static_cast<char>(c));
    } else if ((n = base::utf8_length(p + i, bytes.size() - i)) > 0) {
      piece.assign(bytes, i, n);
    } else {
      n = 1;
      append_replacement(piece);
    }
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    i += n;
  }
  return out;
}

}  // namespace clicktrail::enrich
