#include "enrich/sink_enricher.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/log.h"
#include "enrich/compiled_cache.h"
#include "enrich/embedded_data.h"
#include "event/fields.h"

namespace clicktrail::enrich {
namespace {

// The configured file's text, or the built-in one's.
base::result<std::string> rule_text(const std::string& path, std::string_view built_in,
                                    std::string_view setting) {
  if (path.empty()) return std::string(built_in);
  if (std::filesystem::is_directory(path)) {
    return base::error::fail(
        fmt::format("{} = \"{}\" is a directory; name the rule file in it, or remove the "
                    "setting to use the built-in rules",
                    setting, path));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    return base::error::fail(
        fmt::format("cannot read {} = \"{}\": {}; fix the path, or remove the setting to "
                    "use the built-in rules",
                    setting, path, std::strerror(errno)));
  }
  return std::move(text).str();
}

// The user agent's fields into the event's columns.
void put(const user_agent_fields& f, const std::optional<std::string>& bot, event::event& e) {
  e.ua_browser = f.browser;
  e.ua_browser_version = f.browser_version;
  e.ua_os = f.os;
  e.ua_os_version = f.os_version;
  e.ua_device = f.device;
  e.ua_device_brand = f.device_brand;
  e.ua_device_model = f.device_model;
  e.is_bot = bot.has_value();
  e.bot_name = bot;
}

// Referrers and page URLs longer than this are not kept (sink_enricher.h says why).
constexpr std::size_t max_cached_url = 512;

// What `of` says of a URL: from `cache`, or worked out and kept there; a URL too long to keep is
// worked out into `uncached`, which holds it until the next one. No URL: a default V.
template <class V, class Of>
const V& kept(lru_cache<V>& cache, V& uncached, const std::optional<std::string>& url, Of of) {
  static const V none;
  if (!url) return none;
  if (url->size() > max_cached_url) {
    uncached = of(*url);
    return uncached;
  }
  if (const V* found = cache.find(*url)) return *found;
  return cache.insert(*url, of(*url));
}

}  // namespace

base::result<std::shared_ptr<const sink_rules>> sink_rules::load(const config::config& cfg) {
  const auto started = std::chrono::steady_clock::now();
  const auto& e = cfg.enrich;
  auto ua_text = rule_text(e.ua_rules, uap_core_regexes(), "enrich.ua_rules");
  if (!ua_text) return std::move(ua_text).err();
  const compiled_cache cache(compiled_cache::dir_for(e.cache_dir));
  auto ua = user_agent_parser::compile(
      *ua_text, e.ua_rules.empty() ? "uap-core 0.16.0 (built in)" : e.ua_rules, &cache);
  if (!ua) return std::move(ua).err();
  auto bots = bot_detector::compile(crawler_user_agents(), "crawler-user-agents (built in)", &cache);
  if (!bots) return std::move(bots).err();
  auto referrer_text = rule_text(e.referrer_rules, referrer_sources(), "enrich.referrer_rules");
  if (!referrer_text) return std::move(referrer_text).err();
  auto referrers = referrer_classifier::compile(
      *referrer_text, e.referrer_rules.empty() ? "the built-in referrer list" : e.referrer_rules);
  if (!referrers) return std::move(referrers).err();

  auto rules = std::make_shared<sink_rules>(sink_rules{std::move(ua).value(),
                                                       std::move(bots).value(),
                                                       std::move(referrers).value(),
                                                       {},
                                                       static_cast<std::size_t>(e.ua_cache_entries)});
  for (const auto& site : cfg.sites) {
    if (site.drop_bots) rules->sites_dropping_bots.insert(site.key);
  }
  auto& log = base::logger_for("enrich");
  for (const auto& r : rules->bots.rejected()) {
    log.warn(
        "a crawler-list pattern does not compile and never matches index={} pattern=\"{}\" reason=\"{}\"",
        r.index, r.pattern, r.reason);
  }
  if (!rules->sites_dropping_bots.empty()) {
    log.info("bot events are dropped for sites={}", fmt::join(rules->sites_dropping_bots, ","));
  }
  log.info(
      "enrichment rules ready in {} ms ua_rules=\"{}\" referrer_rules=\"{}\" ua_cache_entries={} "
      "cache_dir=\"{}\"",
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
          .count(),
      e.ua_rules.empty() ? "built in" : e.ua_rules, e.referrer_rules.empty() ? "built in" : e.referrer_rules,
      e.ua_cache_entries, cache.dir().empty() ? "off" : cache.dir().string());
  return std::shared_ptr<const sink_rules>(std::move(rules));
}

const sink_enricher::agent& sink_enricher::parse(const std::string& ua) {
  if (const agent* cached = cache_.find(ua)) {
    ++hits_;
    return *cached;
  }
  ++misses_;
  agent a;
  a.fields = rules_->user_agents.parse(ua);
  a.bot = rules_->bots.detect(ua, a.fields);
  // A user agent can make these longer than their columns (a 700-byte device model): cut once
  // here, so that every event of it takes them as they are.
  event::event probe;
  put(a.fields, a.bot, probe);
  if (event::cut_to_column_limits_from(probe, event::sink_fields_begin())) {
    a.cut = true;
    a.fields = {std::move(probe.ua_browser),     std::move(probe.ua_browser_version),
                std::move(probe.ua_os),          std::move(probe.ua_os_version),
                std::move(probe.ua_device),      std::move(probe.ua_device_brand),
                std::move(probe.ua_device_model)};
    a.bot = std::move(probe.bot_name);
  }
  return cache_.insert(ua, std::move(a));
}

const referrer_origin& sink_enricher::origin_of(const std::optional<std::string>& referrer) {
  return kept(referrers_, uncached_, referrer,
              [this](std::string_view url) { return rules_->referrers.origin_of(url); });
}

const landing_page& sink_enricher::landing_page_of(const std::optional<std::string>& page_url) {
  return kept(pages_, uncached_page_, page_url,
              [this](std::string_view url) { return rules_->referrers.landing_page_of(url); });
}

sink_enricher::verdict sink_enricher::apply(event::event& e) {
  if (e.ua) {
    const agent& a = parse(*e.ua);
    put(a.fields, a.bot, e);
    if (a.cut) e.truncated = true;
  }
  referrer_fields r =
      rules_->referrers.classify(origin_of(e.referrer), landing_page_of(e.page_url), e.utm_medium);
  e.referrer_medium = std::move(r.medium);
  e.referrer_source = std::move(r.source);
  e.referrer_term = std::move(r.term);
  e.click_id_kind = std::move(r.click_id_kind);
  const bool drop = e.is_bot.value_or(false) && rules_->sites_dropping_bots.contains(e.site);
  return drop ? verdict::drop : verdict::keep;
}

}  // namespace clicktrail::enrich
