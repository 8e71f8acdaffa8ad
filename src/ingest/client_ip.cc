#include "ingest/client_ip.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstring>
#include <optional>

namespace clicktrail::ingest {
namespace {

using address = std::array<std::uint8_t, 16>;  // IPv4 as ::ffff:a.b.c.d

bool is_v4(const address& a) {
  static constexpr std::uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(a.data(), prefix, 12) == 0;
}

std::optional<address> parse(std::string_view text) {
  // Trim spaces, and "[v6]" or "v4:port" forms that some proxies write.
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.starts_with('[')) text = text.substr(1, text.find(']') - 1);
  if (text.size() > 64) return std::nullopt;
  std::string s(text);
  address out{};
  in_addr v4{};
  in6_addr v6{};
  if (const auto colon = s.find(':');
      colon != std::string::npos && s.find(':', colon + 1) == std::string::npos) {
    s.resize(colon);  // a.b.c.d:port
  }
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(&out[12], &v4, 4);
    return out;
  }
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

bool trusted(const address& a, const std::vector<config::cidr>& proxies) {
  for (const auto& range : proxies) {
    if (range.contains(a)) return true;
  }
  return false;
}

std::string format(address a, bool anonymize) {
  char text[INET6_ADDRSTRLEN] = {};
  if (is_v4(a)) {
    // By hand: inet_ntop formats IPv4 with sprintf, a tenth of a request's own work.
    if (anonymize) a[15] = 0;
    char* at = text;
    for (int i = 12; i < 16; ++i) {
      if (i > 12) *at++ = '.';
      at = std::to_chars(at, text + sizeof text, a[static_cast<std::size_t>(i)]).ptr;
    }
    return std::string(text, at);
  } else {
    if (anonymize) std::fill(a.begin() + 6, a.end(), std::uint8_t{0});
    inet_ntop(AF_INET6, a.data(), text, sizeof text);
  }
  return text;
}

}  // namespace

client_address client_ip(std::string_view peer, std::string_view forwarded_for,
                         const std::vector<config::cidr>& trusted_proxies, bool anonymize) {
  auto client = parse(peer);
  if (!client) return {};
  if (!forwarded_for.empty() && trusted(*client, trusted_proxies)) {
    // Walk X-Forwarded-For from the right while the hops are our own proxies.
    std::string_view rest = forwarded_for;
    while (!rest.empty()) {
      const auto comma = rest.rfind(',');
      const std::string_view hop = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
      const auto parsed = parse(hop);
      if (!parsed) break;  // garbage: stop at the last address we could trust
      client = parsed;
      if (!trusted(*client, trusted_proxies)) break;
    }
  }
  client_address out{format(*client, false), {}};
  out.stored = anonymize ? format(*client, true) : out.full;
  return out;
}

}  // namespace clicktrail::ingest
