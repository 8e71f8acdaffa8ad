#include "enrich/collector_enricher.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/log.h"

namespace clicktrail::enrich {

base::result<collector_enricher> collector_enricher::open(const config::enrich_config& cfg,
                                                          const std::vector<config::site_config>& sites) {
  std::vector<std::string> needing;
  for (const auto& site : sites) {
    if (site.cookieless) needing.push_back(fmt::format("sites \"{}\" cookieless", site.key));
    if (site.pseudonymize_user_id)
      needing.push_back(fmt::format("sites \"{}\" pseudonymize_user_id", site.key));
  }
  // config checked the length of a secret that is set; a site that derives ids needs one.
  if (!needing.empty() && cfg.secret.empty()) {
    return base::error::fail(
        fmt::format("enrich.secret is not set, and {} need it: set CLICKTRAIL_ENRICH_SECRET to the output of "
                    "`openssl rand -hex "
                    "32`, the same on every collector",
                    fmt::join(needing, ", ")));
  }
  auto geo = geo_databases::open(cfg.geoip_db, cfg.asn_db);
  if (!geo) return std::move(geo).err();
  auto& log = base::logger_for("enrich");
  if (cfg.geoip_db.empty() && cfg.asn_db.empty()) {
    log.info("no geo database configured (enrich.geoip_db, enrich.asn_db): the geo columns stay empty");
  } else {
    log.info("geo databases city=\"{}\" asn=\"{}\"", cfg.geoip_db, cfg.asn_db);
  }
  std::unique_ptr<const cookieless_ids> cookieless;
  if (!cfg.secret.empty()) cookieless = std::make_unique<const cookieless_ids>(cfg.secret);
  std::map<std::string, param_names, std::less<>> params;
  for (const auto& site : sites) {
    std::vector<std::string> extra = cfg.private_params;
    extra.insert(extra.end(), site.private_params.begin(), site.private_params.end());
    params.try_emplace(site.key, default_private_params(), extra);
  }
  return collector_enricher(std::move(geo).value(), std::move(cookieless), cfg.secret,
                            param_names(default_private_params(), cfg.private_params), std::move(params));
}

collector_enricher::request_facts collector_enricher::facts(const config::site_config& site,
                                                            std::string_view full_ip,
                                                            std::string_view user_agent,
                                                            std::int64_t collector_ts) const {
  request_facts out;
  out.private_params = &private_params_of(&site);
  if (!full_ip.empty()) out.geo = geo_.lookup(full_ip);
  // config refuses a cookieless site without a secret, so cookieless_ is there when needed.
  if (site.cookieless && cookieless_)
    out.ids = cookieless_->derive(site.key, full_ip, user_agent, collector_ts);
  return out;
}

void collector_enricher::apply(event::event& e, const config::site_config& site,
                               const request_facts& facts) const {
  const geo_fields& g = facts.geo;
  e.geo_country = g.country;
  e.geo_region = g.region;
  e.geo_city = g.city;
  e.geo_asn = g.asn;
  e.geo_asn_org = g.asn_org;
  if (facts.ids) {
    // The site derives its ids: whatever a tracker sent is replaced, so that no browser-stored
    // id reaches the store under a cookieless site.
    e.anonymous_id = facts.ids->anonymous_id;
    e.session_id = facts.ids->session_id;
  }
  if (site.pseudonymize_user_id && e.user_id && !e.user_id->empty()) {
    e.user_id = pseudonymize_user_id(secret_, site.key, *e.user_id);
  }
  const param_names& params = facts.private_params ? *facts.private_params : global_params_;
  remove_private_params(e.page_url, params);
  remove_private_params(e.referrer, params);
  remove_private_params(e.target_href, params);
}

std::string collector_enricher::scrub_raw(const config::site_config* site, std::string_view raw) const {
  std::vector<std::string_view> json_keys;
  if (site && site->pseudonymize_user_id) json_keys.push_back("user_id");
  if (site && site->cookieless) json_keys.insert(json_keys.end(), {"anonymous_id", "session_id"});
  return enrich::scrub_raw(raw, private_params_of(site), json_keys);
}

const param_names& collector_enricher::private_params_of(const config::site_config* site) const {
  const auto it = site ? private_params_.find(site->key) : private_params_.end();
  return it == private_params_.end() ? global_params_ : it->second;
}

void collector_enricher::remove_private_params(event::opt_string& url, const param_names& names) {
  if (!url) return;
  if (auto kept = strip_params(*url, names)) *url = std::move(*kept);
}

}  // namespace clicktrail::enrich
