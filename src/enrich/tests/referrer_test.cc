#include "enrich/referrer.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "enrich/embedded_data.h"

namespace clicktrail::enrich {

// For gtest's messages; found by argument-dependent lookup, so outside the unnamed namespace.
void PrintTo(const referrer_fields& f, std::ostream* os);
void PrintTo(const referrer_fields& f, std::ostream* os) {
  *os << "{" << f.medium.value_or("-") << ", " << f.source.value_or("-") << ", " << f.term.value_or("-")
      << ", " << f.click_id_kind.value_or("-") << "}";
}

namespace {

const referrer_classifier& built_in() {
  static const referrer_classifier classifier = [] {
    auto compiled = referrer_classifier::compile(referrer_sources(), "clicktrail referrers (built in)");
    if (!compiled) throw std::runtime_error(compiled.err().message);
    return std::move(compiled).value();
  }();
  return classifier;
}

// Classifies a visit to a page of shop.example.
referrer_fields from(std::optional<std::string> referrer,
                     std::optional<std::string> utm_medium = std::nullopt,
                     std::optional<std::string> page = "https://shop.example/landing") {
  return built_in().classify(referrer, page, utm_medium);
}

referrer_fields fields(std::optional<std::string> medium, std::optional<std::string> source = std::nullopt,
                       std::optional<std::string> term = std::nullopt,
                       std::optional<std::string> click_id_kind = std::nullopt) {
  return {std::move(medium), std::move(source), std::move(term), std::move(click_id_kind)};
}

// The click id kind of a direct visit to `page`.
std::optional<std::string> click_id_kind(const std::string& page) {
  return from(std::nullopt, std::nullopt, page).click_id_kind;
}

TEST(Referrer, TheBuiltInListLoadsAndUsesOnlyTheAllowedMedia) {
  EXPECT_GT(built_in().source_count(), 60U);
  EXPECT_GT(built_in().domain_count(), 100U);
  simdjson::dom::parser parser;
  const simdjson::dom::object media = parser.parse(simdjson::padded_string(referrer_sources())).get_object();
  const std::set<std::string_view> allowed = {"search", "social", "email", "paid", "unknown"};
  std::set<std::string> domains;
  for (const auto [medium, sources] : media) {
    EXPECT_TRUE(allowed.contains(medium)) << medium;
    for (const auto [name, entry] : sources.get_object()) {
      for (const simdjson::dom::element d : entry["domains"].get_array()) {
        EXPECT_TRUE(domains.emplace(d.get_string().value()).second)
            << "listed twice: " << d.get_string().value();
      }
    }
  }
}

TEST(Referrer, SearchEnginesWithTheirTerms) {
  EXPECT_EQ(from("https://www.google.com/search?q=running+shoes&hl=en"),
            fields("search", "Google", "running shoes"));
  EXPECT_EQ(from("https://www.bing.com/search?form=QBLH&q=clicktrail"),
            fields("search", "Bing", "clicktrail"));
  EXPECT_EQ(from("https://duckduckgo.com/?q=privacy&ia=web"), fields("search", "DuckDuckGo", "privacy"));
  EXPECT_EQ(from("https://yandex.ru/search/?text=%D0%BA%D0%BE%D1%82"), fields("search", "Yandex", "кот"));
  EXPECT_EQ(from("https://www.baidu.com/s?wd=%E7%8C%AB"), fields("search", "Baidu", "猫"));
  EXPECT_EQ(from("https://search.brave.com/search?q=x"), fields("search", "Brave Search", "x"));
  EXPECT_EQ(from("https://www.ecosia.org/search?method=index&q=trees"), fields("search", "Ecosia", "trees"));
  EXPECT_EQ(from("https://search.naver.com/search.naver?query=abc"), fields("search", "Naver", "abc"));
  // Google no longer sends the query: the engine alone.
  EXPECT_EQ(from("https://www.google.com/"), fields("search", "Google"));
  // The list's parameter order decides, not the query's; empty values do not count.
  EXPECT_EQ(from("https://search.yahoo.com/search?q=second&p=first"), fields("search", "Yahoo!", "first"));
  EXPECT_EQ(from("https://search.yahoo.com/search?p=&q=second"), fields("search", "Yahoo!", "second"));
}

TEST(Referrer, GoogleCountryDomains) {
  for (const char* url :
       {"https://www.google.co.uk/", "https://www.google.de/search?q=x", "https://google.fr/",
        "https://www.google.com.au/", "https://www.google.co.jp/", "https://www.google.com.br/",
        "https://images.google.ca/", "https://WWW.GOOGLE.CO.IN:443/"}) {
    EXPECT_EQ(from(url).source, "Google") << url;
  }
  // Not Google: another registrant's name that starts with google, and google under someone else.
  EXPECT_EQ(from("https://google.evil.com/"), fields("unknown", "google.evil.com"));
  EXPECT_EQ(from("https://www.google.com.evil.net/"), fields("unknown", "www.google.com.evil.net"));
  EXPECT_EQ(from("https://googleusercontent.com/"), fields("unknown", "googleusercontent.com"));
}

TEST(Referrer, SocialNetworks) {
  EXPECT_EQ(from("https://t.co/AbCdEf"), fields("social", "X"));
  EXPECT_EQ(from("https://x.com/someone/status/1"), fields("social", "X"));
  EXPECT_EQ(from("https://l.facebook.com/l.php?u=https%3A%2F%2Fshop.example"), fields("social", "Facebook"));
  EXPECT_EQ(from("https://m.facebook.com/"), fields("social", "Facebook"));
  EXPECT_EQ(from("https://lnkd.in/xyz"), fields("social", "LinkedIn"));
  EXPECT_EQ(from("https://www.linkedin.com/feed/"), fields("social", "LinkedIn"));
  EXPECT_EQ(from("https://old.reddit.com/r/cpp/"), fields("social", "Reddit"));
  EXPECT_EQ(from("https://news.ycombinator.com/item?id=1"), fields("social", "Hacker News"));
  EXPECT_EQ(from("https://www.pinterest.co.uk/pin/1/"), fields("social", "Pinterest"));
  EXPECT_EQ(from("https://www.youtube.com/results?search_query=how+to"),
            fields("social", "YouTube", "how to"));
  EXPECT_EQ(from("android-app://com.linkedin.android/"), fields("social", "LinkedIn"));
}

TEST(Referrer, Webmail) {
  // Gmail is more specific than Google.
  EXPECT_EQ(from("https://mail.google.com/mail/u/0/"), fields("email", "Gmail"));
  EXPECT_EQ(from("android-app://com.google.android.gm/"), fields("email", "Gmail"));
  EXPECT_EQ(from("https://outlook.live.com/mail/0/inbox"), fields("email", "Outlook.com"));
  EXPECT_EQ(from("https://mail.yahoo.co.jp/"), fields("email", "Yahoo! Mail"));
  EXPECT_EQ(from("https://mail.proton.me/u/0/inbox"), fields("email", "Proton Mail"));
  // A domain with a path: iCloud's mail is www.icloud.com/mail, the rest of icloud.com is not.
  EXPECT_EQ(from("https://www.icloud.com/mail/"), fields("email", "iCloud Mail"));
  EXPECT_EQ(from("https://www.icloud.com/photos/"), fields("unknown", "www.icloud.com"));
}

TEST(Referrer, PaidByClickIdOrUtmMedium) {
  EXPECT_EQ(from("https://www.google.com/", std::nullopt, "https://shop.example/?gclid=abc"),
            fields("paid", "Google", std::nullopt, "gclid"));
  EXPECT_EQ(from(std::nullopt, std::nullopt, "https://shop.example/?msclkid=1"),
            fields("paid", std::nullopt, std::nullopt, "msclkid"));
  EXPECT_EQ(from("https://www.bing.com/search?q=shoes", "cpc"), fields("paid", "Bing", "shoes"));
  for (const char* medium :
       {"cpc", "PPC", " cpm ", "display", "paid", "paidsearch", "paid_social", "Paid-Social"}) {
    EXPECT_EQ(from("https://example.org/", medium), fields("paid", "example.org")) << medium;
  }
  EXPECT_EQ(from("https://example.org/", "email"), fields("unknown", "example.org"));
  EXPECT_EQ(from("https://example.org/", "social"), fields("unknown", "example.org"));
  // fbclid is on organic Facebook links too: social, not paid.
  EXPECT_EQ(from("https://l.facebook.com/", std::nullopt, "https://shop.example/?fbclid=IwAR0"),
            fields("social", "Facebook", std::nullopt, "fbclid"));
  // Paid with an internal referrer (the landing page reloaded): no source.
  EXPECT_EQ(from("https://shop.example/landing", "cpc"), fields("paid"));
}

TEST(Referrer, ClickIdKind) {
  EXPECT_EQ(click_id_kind("https://shop.example/?utm_source=g&gclid=abc&fbclid=x"), "gclid");
  EXPECT_EQ(click_id_kind("https://shop.example/?fbclid=x&gclid=abc"), "fbclid");
  EXPECT_EQ(click_id_kind("https://shop.example/p?MSCLKID=1#top"), "msclkid");
  EXPECT_EQ(click_id_kind("https://shop.example/?sccid=1"), "ScCid");
  EXPECT_EQ(click_id_kind("https://shop.example/?gclid=&wbraid=2"), "wbraid");
  EXPECT_EQ(click_id_kind("https://shop.example/?li_fat_id=3"), "li_fat_id");
  EXPECT_EQ(click_id_kind("https://shop.example/?gclid"), std::nullopt);
  EXPECT_EQ(click_id_kind("https://shop.example/#gclid=1"), std::nullopt);
  EXPECT_EQ(click_id_kind("https://shop.example/?q=1"), std::nullopt);
  EXPECT_EQ(click_id_kind("not a url?gclid=1"), std::nullopt);
  // Direct traffic keeps its click id (an ad opened in a new window sends no referrer).
  EXPECT_EQ(from(std::nullopt, std::nullopt, "https://shop.example/?fbclid=1"),
            fields(std::nullopt, std::nullopt, std::nullopt, "fbclid"));
}

TEST(Referrer, DirectWhenThereIsNoReferrer) {
  EXPECT_EQ(from(std::nullopt), fields(std::nullopt));
  EXPECT_EQ(from(""), fields(std::nullopt));
  EXPECT_EQ(from("   "), fields(std::nullopt));
  EXPECT_EQ(built_in().classify(std::nullopt, std::nullopt, std::nullopt), fields(std::nullopt));
}

TEST(Referrer, InternalWhenTheHostIsThePagesOwn) {
  EXPECT_EQ(from("https://shop.example/cart"), fields("internal"));
  EXPECT_EQ(from("http://SHOP.example:8080/"), fields("internal"));
  EXPECT_EQ(from("https://www.shop.example/"), fields("internal"));
  EXPECT_EQ(from("https://shop.example/", std::nullopt, "https://www.shop.example/"), fields("internal"));
  EXPECT_EQ(from("https://blog.shop.example/"), fields("unknown", "blog.shop.example"));
  // Without a page URL nothing is internal.
  EXPECT_EQ(built_in().classify("https://shop.example/", std::nullopt, std::nullopt),
            fields("unknown", "shop.example"));
}

landing_page landing(std::string_view page_url) {
  return built_in().landing_page_of(page_url);
}

TEST(Referrer, AnOriginServesEveryPage) {
  // What a referrer says by itself holds nothing of the page, and what a page URL says holds
  // nothing of the referrer: one origin and one landing page, each kept by an enricher, classify
  // every pair of them as the two URLs would.
  const referrer_origin shop = built_in().origin_of("https://www.shop.example/cart");
  EXPECT_FALSE(shop.blank);
  EXPECT_EQ(shop.host, "shop.example");
  EXPECT_EQ(built_in().classify(shop, landing("https://shop.example/landing"), std::nullopt),
            fields("internal"));
  EXPECT_EQ(built_in().classify(shop, landing("https://other.example/"), std::nullopt),
            fields("unknown", "www.shop.example"));
  EXPECT_EQ(built_in().classify(shop, landing("https://other.example/"), "cpc"),
            fields("paid", "www.shop.example"));
  EXPECT_EQ(built_in().classify(shop, landing("https://shop.example/?gclid=1"), std::nullopt),
            fields("paid", std::nullopt, std::nullopt, "gclid"));

  const referrer_origin bing = built_in().origin_of("https://www.bing.com/search?q=red+shoes");
  for (const std::string page : {"https://shop.example/", "https://www.bing.com/maps"}) {
    EXPECT_EQ(built_in().classify(bing, landing(page), std::nullopt),
              from("https://www.bing.com/search?q=red+shoes", std::nullopt, page))
        << page;
  }
  EXPECT_EQ(built_in().classify(bing, landing("https://shop.example/"), std::nullopt),
            fields("search", "Bing", "red shoes"));
  EXPECT_EQ(built_in().classify(bing, landing("https://www.bing.com/maps"), std::nullopt),
            fields("internal"));

  EXPECT_TRUE(built_in().origin_of("  ").blank);
  EXPECT_EQ(built_in().classify(built_in().origin_of("  "), landing("https://shop.example/"), std::nullopt),
            fields(std::nullopt));
  EXPECT_EQ(built_in().classify(built_in().origin_of("  "), landing("https://shop.example/?gclid=1"), "x"),
            fields("paid", std::nullopt, std::nullopt, "gclid"));
  const referrer_origin not_a_url = built_in().origin_of("android-app://com.example");
  EXPECT_FALSE(not_a_url.blank);
  EXPECT_EQ(built_in().classify(not_a_url, landing("https://shop.example/"), std::nullopt),
            from("android-app://com.example"));
}

TEST(Referrer, ALandingPageIsItsHostAndClickId) {
  const landing_page shop = landing("https://WWW.Shop.example:8443/p?utm_source=x&MSCLKID=7&gclid=1");
  EXPECT_EQ(shop.host, "shop.example");
  EXPECT_EQ(shop.click_id_kind, "msclkid");  // the first in the query's order, named as listed
  EXPECT_TRUE(shop.paid_click);
  const landing_page organic = landing("https://shop.example/?fbclid=abc");
  EXPECT_EQ(organic.click_id_kind, "fbclid");
  EXPECT_FALSE(organic.paid_click);
  EXPECT_EQ(landing("https://shop.example/?gclid=").click_id_kind, "");  // a click id needs a value
  const landing_page not_a_url = landing("not a url");
  EXPECT_EQ(not_a_url.host, std::nullopt);
  EXPECT_EQ(not_a_url.click_id_kind, "");
  EXPECT_FALSE(not_a_url.paid_click);
}

TEST(Referrer, UnknownNamesTheHost) {
  EXPECT_EQ(from("https://blog.example.org/post?id=1"), fields("unknown", "blog.example.org"));
  EXPECT_EQ(from("https://user:pw@Example.ORG:8443/"), fields("unknown", "example.org"));
  EXPECT_EQ(from("http://192.0.2.1/"), fields("unknown", "192.0.2.1"));
  EXPECT_EQ(from("http://[2001:DB8::1]:80/"), fields("unknown", "[2001:db8::1]"));
  EXPECT_EQ(from("//cdn.example.net/x"), fields("unknown", "cdn.example.net"));
}

TEST(Referrer, MalformedReferrersAreUnknownWithoutASource) {
  const std::vector<std::string> malformed = {"not a url",
                                              "android-app:/",
                                              "http://",
                                              "http:///path",
                                              "http://exa mple.com/",
                                              "https://[::1",
                                              "https://[zz]/",
                                              "http://%41.example/",
                                              "www.example.com/no-scheme",
                                              "http://bad\xff.example/",
                                              "http://" + std::string(300, 'a') + ".example/",
                                              std::string(1, '\0')};
  for (const std::string& referrer : malformed) {
    EXPECT_EQ(from(referrer), fields("unknown")) << referrer;
  }
}

TEST(Referrer, TermsAreDecodedIntoBoundedUtf8) {
  EXPECT_EQ(from("https://www.google.com/search?q=caf%C3%A9+au+lait").term, "café au lait");
  EXPECT_EQ(from("https://www.google.com/search?q=100%25+%zz").term, "100% %zz");
  EXPECT_EQ(from("https://www.google.com/search?q=%FFok").term, "\xEF\xBF\xBDok");
  EXPECT_EQ(from("https://www.google.com/search?q=a%0Ab").term, "a b");
  const std::string long_query = "https://www.google.com/search?q=" + std::string(100000, 'x');
  EXPECT_EQ(from(long_query).term, std::string(256, 'x'));
  // Cut at a character boundary: 255 bytes of 'x' and then a 2-byte character that would not fit.
  EXPECT_EQ(from("https://www.google.com/search?q=" + std::string(255, 'x') + "%C3%A9").term,
            std::string(255, 'x'));
}

// A list in Snowplow referer-parser's shape (hand-written, not Snowplow's data): media keys,
// sources with "domains" and, for search, "parameters"; a domain with a path.
constexpr std::string_view snowplow_shaped = R"({
  "unknown": {"Widgets": {"domains": ["widgets.example"]}},
  "email": {"Examplemail": {"domains": ["mail.example.com"]}},
  "social": {"Chatter": {"domains": ["chatter.example", "m.chatter.example"]}},
  "search": {
    "Finder": {"parameters": ["query", "q"], "domains": ["finder.example", "portal.example/search"]}
  },
  "paid": {"Adnet": {"domains": ["ads.example"]}}
})";

TEST(Referrer, ReadsSnowplowsShape) {
  auto classifier = referrer_classifier::compile(snowplow_shaped, "fixture");
  ASSERT_TRUE(classifier) << classifier.err().message;
  EXPECT_EQ(classifier->source_count(), 5U);
  const auto classify = [&](const char* referrer) {
    return classifier->classify(std::string(referrer), std::string("https://site.example/"), std::nullopt);
  };
  EXPECT_EQ(classify("https://www.finder.example/?q=a+b"), fields("search", "Finder", "a b"));
  EXPECT_EQ(classify("https://portal.example/search/results?query=c"), fields("search", "Finder", "c"));
  EXPECT_EQ(classify("https://portal.example/news"), fields("unknown", "portal.example"));
  EXPECT_EQ(classify("https://mail.example.com/inbox"), fields("email", "Examplemail"));
  EXPECT_EQ(classify("https://example.com/"), fields("unknown", "example.com"));
  EXPECT_EQ(classify("https://m.chatter.example/"), fields("social", "Chatter"));
  EXPECT_EQ(classify("https://ads.example/click"), fields("paid", "Adnet"));
  EXPECT_EQ(classify("https://widgets.example/"), fields("unknown", "Widgets"));
}

TEST(Referrer, RefusesWhatIsNotAReferrerList) {
  for (const char* text : {"", "[]", R"({"search": []})", R"({"internal": {}})", R"({"video": {}})",
                           R"({"search": {"X": {}}})", R"({"search": {"X": {"domains": [1]}}})",
                           R"({"search": {"X": {"domains": ["x.example"], "parameters": "q"}}})",
                           R"({"search": {"X": {"domains": ["*.google.com"]}}})",
                           R"({"search": {"X": {"domains": ["go*gle.com"]}}})"}) {
    const auto classifier = referrer_classifier::compile(text, "referrers.json");
    ASSERT_FALSE(classifier) << text;
    EXPECT_NE(classifier.err().message.find("referrers.json: not a referrer list"), std::string::npos)
        << classifier.err().message;
  }
  const auto empty = referrer_classifier::compile("{}", "empty");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->classify(std::string("https://www.google.com/"), std::nullopt, std::nullopt),
            fields("unknown", "www.google.com"));
}

}  // namespace
}  // namespace clicktrail::enrich
