#include "ingest/sites.h"

#include <algorithm>
#include <cctype>

#include "base/text.h"
#include "ingest/responses.h"

namespace clicktrail::ingest {
namespace {

using base::iequals;

}  // namespace

site_registry::site_registry(std::vector<config::site_config> sites) : sites_(std::move(sites)) {}

const config::site_config* site_registry::find(std::string_view key) const noexcept {
  for (const auto& s : sites_) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

const config::site_config* site_registry::find_by_app_id(std::string_view app_id) const noexcept {
  if (app_id.empty()) return nullptr;
  for (const auto& s : sites_) {
    const auto& ids = s.snowplow_app_ids;
    if (ids.empty() ? s.key == app_id : std::find(ids.begin(), ids.end(), app_id) != ids.end()) return &s;
  }
  return nullptr;
}

const config::site_config* site_registry::find_by_write_key(std::string_view write_key) const noexcept {
  if (write_key.empty()) return nullptr;
  for (const auto& s : sites_) {
    const auto& keys = s.segment_write_keys;
    if (std::find(keys.begin(), keys.end(), write_key) != keys.end()) return &s;
  }
  return nullptr;
}

bool site_registry::origin_allowed(const config::site_config& site, std::string_view origin) noexcept {
  if (origin.empty() || site.any_origin) return true;
  return std::any_of(site.origins.begin(), site.origins.end(),
                     [&](const std::string& o) { return iequals(o, origin); });
}

bool site_registry::any_site_allows(std::string_view origin) const noexcept {
  return std::any_of(sites_.begin(), sites_.end(), [&](const auto& s) { return origin_allowed(s, origin); });
}

void site_registry::add_cors_headers(std::string_view origin, header_list& headers, bool credentials) {
  if (origin.empty()) return;
  headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  if (credentials) headers.emplace_back("Access-Control-Allow-Credentials", "true");
  // A cross-origin tracker may read only the headers exposed to it: it needs Retry-After to
  // back off as a 429 or 503 asks.
  headers.emplace_back("Access-Control-Expose-Headers", "Retry-After");
  headers.emplace_back("Vary", "Origin");
}

ingest_response site_registry::preflight(std::string_view site_key, std::string_view origin) const {
  const config::site_config* site = site_key.empty() ? nullptr : find(site_key);
  const bool allowed = site ? origin_allowed(*site, origin) : (site_key.empty() && any_site_allows(origin));
  if (!allowed || origin.empty()) {
    return error_response(
        403, "origin_not_allowed",
        "this origin may not send events here; add it to the site's origins in the collector's config");
  }
  ingest_response r;
  r.status = 204;
  add_cors_headers(origin, r.headers);
  r.headers.emplace_back("Access-Control-Allow-Methods", "POST, GET, OPTIONS");
  r.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type, Content-Encoding, X-Clicktrail-Site");
  r.headers.emplace_back("Access-Control-Max-Age", "86400");  // browsers cap it lower; ask for a day
  return r;
}

ingest_response site_registry::compat_preflight(protocol of, std::string_view origin) const {
  if (origin.empty() || !any_site_allows(origin)) {
    return error_response(
        403, "origin_not_allowed",
        "this origin may not send events here; add it to the site's origins in the collector's config");
  }
  ingest_response r;
  add_cors_headers(origin, r.headers, true);
  if (of == protocol::snowplow) {
    // As Snowplow's collector answers it, with its default max age of an hour.
    r.status = 200;
    r.headers.emplace_back("Access-Control-Allow-Methods", "POST, GET, OPTIONS");
    r.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type, SP-Anonymous");
    r.headers.emplace_back("Access-Control-Max-Age", "3600");
  } else {
    r.status = 204;
    r.headers.emplace_back("Access-Control-Allow-Methods", "POST, OPTIONS");
    r.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type, Authorization, X-Retry-Count");
    r.headers.emplace_back("Access-Control-Max-Age", "86400");
  }
  return r;
}

}  // namespace clicktrail::ingest
