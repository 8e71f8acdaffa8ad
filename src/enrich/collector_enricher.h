#pragma once
// What the collector adds to an event before it leaves for the log: the place and network of the
// full client address (looked up before the address is anonymised, and never stored), the ids of
// cookieless sites, pseudonymous user ids, and URLs without their private query parameters.
// Everything that needs the full address or must never reach Kafka happens here; the costlier
// rest (user agent, bots, referrer) runs at the sink behind a cache, so that the collector's CPU
// per request stays low (docs/architecture.md, "Where enrichment runs").
//
// Lifetime: one per process, opened at start-up. Thread-safety: const, shared by every thread.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "enrich/geo.h"
#include "enrich/privacy.h"
#include "event/event.h"

namespace clicktrail::enrich {

class collector_enricher {
 public:
  // Opens the configured geo databases; an unreadable one is an error naming its path and the fix.
  static base::result<collector_enricher> open(const config::enrich_config& cfg,
                                               const std::vector<config::site_config>& sites);

  // What all events of one request share, worked out once per request.
  struct request_facts {
    geo_fields geo;
    std::optional<cookieless_ids::ids> ids;  // cookieless sites only
    // The site's private parameters: the built-in list, enrich.private_params and its own.
    const param_names* private_params = nullptr;
  };
  request_facts facts(const config::site_config& site, std::string_view full_ip, std::string_view user_agent,
                      std::int64_t collector_ts) const;

  // Fills geo_*, the derived ids and the pseudonymous user_id; removes private query parameters
  // from page_url, referrer and target_href.
  void apply(event::event& e, const config::site_config& site, const request_facts& facts) const;

  // Raw input for the bad table, with what apply() would have removed from an event blanked:
  // private query parameters, and the user and visitor ids of a site that derives or
  // pseudonymises them. `site`: nullptr when the request named no configured site.
  std::string scrub_raw(const config::site_config* site, std::string_view raw) const;

 private:
  collector_enricher(geo_databases geo, std::unique_ptr<const cookieless_ids> cookieless, std::string secret,
                     param_names global_params,
                     std::map<std::string, param_names, std::less<>> private_params)
      : geo_(std::move(geo)),
        cookieless_(std::move(cookieless)),
        secret_(std::move(secret)),
        global_params_(std::move(global_params)),
        private_params_(std::move(private_params)) {}

  static void remove_private_params(event::opt_string& url, const param_names& names);
  const param_names& private_params_of(const config::site_config* site) const;

  geo_databases geo_;
  std::unique_ptr<const cookieless_ids> cookieless_;  // when enrich.secret is set
  std::string secret_;
  param_names global_params_;  // the built-in list and enrich.private_params
  // Per site key: the built-in list, enrich.private_params and the site's own.
  std::map<std::string, param_names, std::less<>> private_params_;
};

}  // namespace clicktrail::enrich
