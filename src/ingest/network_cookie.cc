#include "ingest/network_cookie.h"

#include <fmt/format.h>
#include <time.h>

#include "base/text.h"

namespace clicktrail::ingest {
namespace {

// RFC 7231's IMF-fixdate, which Expires takes: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::int64_t unix_s) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const time_t t = static_cast<time_t>(unix_s);
  struct tm utc {};
  gmtime_r(&t, &utc);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", days[utc.tm_wday], utc.tm_mday,
                     months[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

// "https://www.example.com:8443" → "www.example.com", lower-cased; empty for anything else.
std::string origin_host(std::string_view origin) {
  const auto scheme = origin.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view host = origin.substr(scheme + 3);
  if (host.starts_with('[')) return {};  // an IPv6 literal takes no Domain
  host = host.substr(0, host.find_first_of(":/"));
  std::string out(host);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}

}  // namespace

std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view pair = base::trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || base::trim(pair.substr(0, eq)) != name) continue;
    std::string_view value = base::trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    return value;
  }
  return std::nullopt;
}

std::string cookie_domain(const cookie_settings& s, std::string_view origin) {
  const std::string host = origin_host(origin);
  if (!host.empty()) {
    for (const auto& d : s.domains) {
      if (host == d ||
          (host.size() > d.size() && host.ends_with(d) && host[host.size() - d.size() - 1] == '.'))
        return d;
    }
  }
  return s.fallback_domain;
}

std::string set_cookie(const cookie_settings& s, std::string_view value, std::string_view origin,
                       std::int64_t now_unix_s) {
  // Every answer carries one, and the date changes once a second: formatted once a second.
  thread_local std::int64_t expires_at = -1;
  thread_local std::string expires;
  if (const std::int64_t at = now_unix_s + s.lifetime.count(); at != expires_at) {
    expires = http_date(at);
    expires_at = at;
  }
  const std::string domain = cookie_domain(s, origin);
  std::string out;
  out.reserve(s.name.size() + value.size() + expires.size() + domain.size() + s.same_site.size() + 64);
  out.append(s.name).append("=").append(value).append("; Expires=").append(expires).append("; Path=/");
  if (!domain.empty()) out.append("; Domain=").append(domain);
  // A collector on another site than the page needs SameSite=None, which browsers take only
  // with Secure (Snowplow's collector sets the same); Secure always, since an id must not travel
  // in clear text.
  out.append("; Secure; HttpOnly; SameSite=").append(s.same_site);
  return out;
}

}  // namespace clicktrail::ingest
