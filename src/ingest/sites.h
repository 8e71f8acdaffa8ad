#pragma once
// The sites a collector accepts events for, and the origins each allows (CORS). Built once from
// the validated config; read concurrently without locks.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "ingest/exchange.h"
#include "ingest/routes.h"

namespace clicktrail::ingest {

class site_registry {
 public:
  explicit site_registry(std::vector<config::site_config> sites);

  const config::site_config* find(std::string_view key) const noexcept;
  const std::vector<config::site_config>& all() const noexcept { return sites_; }
  // The site of a Snowplow app id (a site without snowplow_app_ids answers to its key), or of a
  // Segment write key; nullptr when none.
  const config::site_config* find_by_app_id(std::string_view app_id) const noexcept;
  const config::site_config* find_by_write_key(std::string_view write_key) const noexcept;

  // True when a browser page at `origin` may send events for `site`. An empty origin (no Origin
  // header: a server, curl, a pixel) is allowed: CORS protects browsers, and anything else can
  // set any header it likes.
  static bool origin_allowed(const config::site_config& site, std::string_view origin) noexcept;
  bool any_site_allows(std::string_view origin) const noexcept;

  // Headers that let the browser read an answer for an allowed origin; `credentials` for the
  // compat doors, whose trackers send cookies (fetch's credentials: 'include').
  static void add_cors_headers(std::string_view origin, header_list& headers, bool credentials = false);

  // The answer to a CORS preflight (OPTIONS) for `site_key` (may be empty: then any site's
  // allowlist counts). 204 with the Access-Control-* headers, or 403.
  ingest_response preflight(std::string_view site_key, std::string_view origin) const;
  // The preflight of a Snowplow or Segment path: the request names no site (it is in the body),
  // so any site's allowlist counts; the methods and headers are the protocol's.
  ingest_response compat_preflight(protocol of, std::string_view origin) const;

 private:
  std::vector<config::site_config> sites_;
};

}  // namespace clicktrail::ingest
