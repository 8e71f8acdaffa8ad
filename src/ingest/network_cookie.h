#pragma once
// The first-party id cookie a collector sets itself (Snowplow's network user id, `sp`): reading
// it from a Cookie header, and the Set-Cookie that renews it. A cookie set by the server lives its
// whole lifetime where one set from JavaScript is capped (Safari: 7 days); docs/compat-snowplow.md
// says which attributes and why.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clicktrail::ingest {

struct cookie_settings {
  std::string name;
  std::chrono::seconds lifetime{0};
  std::vector<std::string> domains;  // lower case, without a leading '.'
  std::string fallback_domain;       // empty: a cookie for the collector's host alone
  std::string same_site = "None";    // None (a collector of other sites), Lax or Strict
};

// The value of the cookie called `name` in a Cookie header, if there is one.
std::optional<std::string_view> cookie_value(std::string_view cookie_header, std::string_view name);

// The Domain attribute for a request from `origin` ("https://www.example.com:8443"): the first of
// the domains that the origin's host is or ends in (at a '.'), else the fallback; empty: none.
std::string cookie_domain(const cookie_settings& s, std::string_view origin);

// `name=value; Expires=…; Path=/; [Domain=…; ]Secure; HttpOnly; SameSite=…`, expiring
// `lifetime` after `now_unix_s`.
std::string set_cookie(const cookie_settings& s, std::string_view value, std::string_view origin,
                       std::int64_t now_unix_s);

}  // namespace clicktrail::ingest
