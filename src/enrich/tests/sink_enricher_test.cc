// The sink's enricher keeps what each referrer says by itself (referrer_origin), and what each
// page URL says by itself (landing_page), between events: every event must still be classified
// as its own referrer, page and campaign make it.

#include "enrich/sink_enricher.h"

#include <gtest/gtest.h>

#include <string>

namespace clicktrail::enrich {
namespace {

std::shared_ptr<const sink_rules> rules() {
  static const auto loaded = [] {
    config::config cfg;
    cfg.enrich.ua_cache_entries = 64;
    return std::move(sink_rules::load(cfg)).value();
  }();
  return loaded;
}

struct arrival {
  std::optional<std::string> medium, source, term, click_id_kind;
  friend bool operator==(const arrival&, const arrival&) = default;
};

arrival want(std::optional<std::string> medium = std::nullopt,
             std::optional<std::string> source = std::nullopt, std::optional<std::string> term = std::nullopt,
             std::optional<std::string> click_id_kind = std::nullopt) {
  return {std::move(medium), std::move(source), std::move(term), std::move(click_id_kind)};
}

void PrintTo(const arrival& a, std::ostream* os) {
  *os << "{" << a.medium.value_or("-") << ", " << a.source.value_or("-") << ", " << a.term.value_or("-")
      << ", " << a.click_id_kind.value_or("-") << "}";
}

arrival enrich(sink_enricher& enricher, std::optional<std::string> referrer, std::string page,
               std::optional<std::string> utm_medium = std::nullopt) {
  event::event e;
  e.referrer = std::move(referrer);
  e.page_url = std::move(page);
  e.utm_medium = std::move(utm_medium);
  EXPECT_EQ(enricher.apply(e), sink_enricher::verdict::keep);
  return {e.referrer_medium, e.referrer_source, e.referrer_term, e.click_id_kind};
}

TEST(sink_enricher, a_kept_referrer_is_classified_for_each_page_it_led_to) {
  sink_enricher enricher(rules());
  const std::string shop = "https://shop.example/cart";
  for (int round = 0; round < 2; ++round) {  // the second round finds every referrer kept
    SCOPED_TRACE(round);
    EXPECT_EQ(enrich(enricher, shop, "https://shop.example/p"), want("internal"));
    EXPECT_EQ(enrich(enricher, shop, "https://other.example/"), want("unknown", "shop.example"));
    EXPECT_EQ(enrich(enricher, shop, "https://other.example/", "cpc"), want("paid", "shop.example"));
    EXPECT_EQ(enrich(enricher, std::nullopt, "https://shop.example/p"), want());
    EXPECT_EQ(enrich(enricher, "https://www.bing.com/search?q=red+shoes", "https://shop.example/"),
              want("search", "Bing", "red shoes"));
  }
}

TEST(sink_enricher, a_long_referrer_is_classified_without_being_kept) {
  sink_enricher enricher(rules());
  const std::string long_search = "https://www.bing.com/search?q=red+shoes&form=" + std::string(600, 'x');
  EXPECT_EQ(enrich(enricher, long_search, "https://shop.example/"), want("search", "Bing", "red shoes"));
  // The next referrer, kept or not, is its own.
  const std::string long_internal = "https://shop.example/?" + std::string(600, 'y');
  EXPECT_EQ(enrich(enricher, long_internal, "https://shop.example/"), want("internal"));
  EXPECT_EQ(enrich(enricher, "https://duckduckgo.com/", "https://shop.example/"),
            want("search", "DuckDuckGo"));
  EXPECT_EQ(enrich(enricher, long_search, "https://shop.example/"), want("search", "Bing", "red shoes"));
}

TEST(sink_enricher, a_kept_page_is_classified_for_each_referrer_that_led_to_it) {
  sink_enricher enricher(rules());
  const std::string page = "https://www.shop.example/p?gclid=42";
  const std::string organic = "https://shop.example/p";
  for (int round = 0; round < 2; ++round) {  // the second round finds every page kept
    SCOPED_TRACE(round);
    EXPECT_EQ(enrich(enricher, "https://shop.example/cart", page),
              want("paid", std::nullopt, std::nullopt, "gclid"));
    EXPECT_EQ(enrich(enricher, std::nullopt, page), want("paid", std::nullopt, std::nullopt, "gclid"));
    EXPECT_EQ(enrich(enricher, "https://www.bing.com/search?q=red+shoes", page),
              want("paid", "Bing", "red shoes", "gclid"));
    EXPECT_EQ(enrich(enricher, "https://shop.example/cart", organic), want("internal"));
    EXPECT_EQ(enrich(enricher, "https://other.example/", organic), want("unknown", "other.example"));
    EXPECT_EQ(enrich(enricher, std::nullopt, organic), want());
    EXPECT_EQ(enrich(enricher, std::nullopt, organic, "cpc"), want("paid"));
  }
}

TEST(sink_enricher, a_long_page_url_is_classified_without_being_kept) {
  sink_enricher enricher(rules());
  const std::string long_paid = "https://shop.example/?msclkid=1&x=" + std::string(600, 'x');
  EXPECT_EQ(enrich(enricher, "https://shop.example/", long_paid),
            want("paid", std::nullopt, std::nullopt, "msclkid"));
  // The next page, kept or not, is its own.
  const std::string long_other = "https://other.example/?" + std::string(600, 'y');
  EXPECT_EQ(enrich(enricher, "https://shop.example/", long_other), want("unknown", "shop.example"));
  EXPECT_EQ(enrich(enricher, "https://shop.example/", "https://shop.example/"), want("internal"));
  EXPECT_EQ(enrich(enricher, "https://shop.example/", long_paid),
            want("paid", std::nullopt, std::nullopt, "msclkid"));
}

TEST(sink_enricher, pages_and_referrers_past_the_caches_size_are_each_their_own) {
  // 5,000 sites, each page with its own referrer, twice: both caches (4,096 entries) evict while
  // the enricher holds references into them, and every event is still its own page's.
  sink_enricher enricher(rules());
  int wrong = 0;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 5000; ++i) {
      const std::string site = "https://shop" + std::to_string(i) + ".example/";
      const bool paid = i % 2 == 1;
      const arrival got =
          enrich(enricher, site + "cart", site + (paid ? "p?gclid=" : "p?x=") + std::to_string(i));
      const arrival expected = paid ? want("paid", std::nullopt, std::nullopt, "gclid") : want("internal");
      if (got != expected && ++wrong <= 3) ADD_FAILURE() << "round " << round << ", site " << i;
    }
  }
  EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace clicktrail::enrich
