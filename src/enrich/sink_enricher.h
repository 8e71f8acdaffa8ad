#pragma once
// What the sink adds to each event before writing it: the browser, OS and device of its user
// agent, whether it is a bot and which, and where the visit came from (referrer medium, source
// and search term; the kind of ad click id). User agents, referrers and page URLs repeat, so what
// each says by itself is cached.
//
// Lifetime: `sink_rules` is compiled once at start-up and shared (const); each sink owns one
// `sink_enricher` and calls it from its own thread only (the cache has no lock).

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "base/result.h"
#include "config/config.h"
#include "enrich/bots.h"
#include "enrich/lru_cache.h"
#include "enrich/referrer.h"
#include "enrich/user_agent.h"
#include "event/event.h"

namespace clicktrail::enrich {

struct sink_rules {
  user_agent_parser user_agents;
  bot_detector bots;
  referrer_classifier referrers;
  std::set<std::string, std::less<>> sites_dropping_bots;
  std::size_t cache_entries = 0;

  // The built-in rule files, or the ones enrich.ua_rules and enrich.referrer_rules name; a file
  // that cannot be read or compiled is an error naming it and the fix.
  static base::result<std::shared_ptr<const sink_rules>> load(const config::config& cfg);
};

class sink_enricher {
 public:
  explicit sink_enricher(std::shared_ptr<const sink_rules> rules)
      : rules_(std::move(rules)),
        cache_(rules_->cache_entries),
        referrers_(url_cache_entries),
        pages_(url_cache_entries) {}

  enum class verdict { keep, drop };
  // Fills ua_*, is_bot, bot_name, referrer_* and click_id_kind, within their column limits (and
  // sets `truncated` when a user agent's fields had to be cut). `drop` for a bot's event when its
  // site asks for bots to be dropped.
  verdict apply(event::event& e);

  std::uint64_t cache_hits() const noexcept { return hits_; }
  std::uint64_t cache_misses() const noexcept { return misses_; }

 private:
  struct agent {
    user_agent_fields fields;  // cut to their column limits once, when parsed
    std::optional<std::string> bot;
    bool cut = false;  // some field was cut: the event is `truncated`
  };
  const agent& parse(const std::string& ua);
  const referrer_origin& origin_of(const std::optional<std::string>& referrer);
  const landing_page& landing_page_of(const std::optional<std::string>& page_url);

  // A referrer's origin is its host and what the list says of it: parsing the URL and looking
  // its host and parents up took a tenth of the sink's instructions, for text that repeats. A
  // page URL's host and click id likewise: parsing it and looking for a click id among its
  // parameters took 6% of them. URLs over 512 bytes (search results or landing pages with
  // tracking parameters) are rarely seen twice and are not kept (sink_enricher.cc, kept()).
  static constexpr std::size_t url_cache_entries = 4096;

  std::shared_ptr<const sink_rules> rules_;
  lru_cache<agent> cache_;
  lru_cache<referrer_origin> referrers_;
  lru_cache<landing_page> pages_;
  referrer_origin uncached_;    // the origin of a referrer too long to keep
  landing_page uncached_page_;  // and a page URL's
  std::uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace clicktrail::enrich
