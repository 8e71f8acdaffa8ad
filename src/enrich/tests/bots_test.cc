#include "enrich/bots.h"

#include <gtest/gtest.h>
#include <re2/re2.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "enrich/embedded_data.h"

namespace clicktrail::enrich {
namespace {

constexpr const char* uap_core_test_ua = "/usr/share/uap-core/tests/test_ua.yaml";

const bot_detector& built_in() {
  static const bot_detector detector = [] {
    auto compiled = bot_detector::compile(crawler_user_agents(), "crawler-user-agents (built in)");
    if (!compiled) throw std::runtime_error(compiled.err().message);
    return std::move(compiled).value();
  }();
  return detector;
}

std::optional<std::string> detect(std::string_view ua, user_agent_fields parsed = {}) {
  return built_in().detect(ua, parsed);
}

// uap-core's own verdict on a user agent: its device rules (regexes.yaml device_parsers) in file
// order, the first that matches decides, and "Spider" is uap-core's word for a bot. The user-agent
// parser does exactly this (and more); this test keeps its own twenty lines so that it stands alone.
class uap_core_spider_rules {
 public:
  uap_core_spider_rules() {
    const YAML::Node root = YAML::Load(std::string(uap_core_regexes()));
    for (const YAML::Node& rule : root["device_parsers"]) {
      RE2::Options options;
      options.set_log_errors(false);
      options.set_case_sensitive(!(rule["regex_flag"] && rule["regex_flag"].as<std::string>() == "i"));
      auto regex = std::make_unique<RE2>(rule["regex"].as<std::string>(), options);
      if (!regex->ok())
        throw std::runtime_error("uap-core device regex does not compile: " + regex->pattern());
      const bool spider =
          rule["device_replacement"] && rule["device_replacement"].as<std::string>() == "Spider";
      rules_.push_back({std::move(regex), spider});
    }
  }

  bool calls_a_bot(const std::string& ua) const {
    for (const auto& [regex, spider] : rules_) {
      if (RE2::PartialMatch(ua, *regex)) return spider;
    }
    return false;
  }

 private:
  struct device_rule {
    std::unique_ptr<RE2> regex;
    bool spider;
  };
  std::vector<device_rule> rules_;
};

TEST(Bots, EveryPatternOfTheBuiltInListCompiles) {
  const bot_detector& detector = built_in();
  for (const rejected_pattern& r : detector.rejected()) {
    std::printf("rejected: entry %zu /%s/: %s\n", r.index, r.pattern.c_str(), r.reason.c_str());
  }
  EXPECT_GT(detector.pattern_count(), 1000U);
  EXPECT_TRUE(detector.rejected().empty()) << "Vectorscan refused the patterns printed above";
}

// The list's own sample user agents: each entry's `instances` should be flagged (by any entry).
TEST(Bots, FlagsAtLeast99PercentOfTheCrawlerListsSamples) {
  simdjson::dom::parser parser;
  const simdjson::dom::array entries =
      parser.parse(simdjson::padded_string(crawler_user_agents())).get_array();
  std::size_t samples = 0, flagged = 0;
  for (const simdjson::dom::element entry : entries) {
    simdjson::dom::array instances;
    if (entry["instances"].get_array().get(instances) != simdjson::SUCCESS) continue;
    for (const simdjson::dom::element instance : instances) {
      const std::string_view ua = instance.get_string();
      ++samples;
      if (detect(ua)) {
        ++flagged;
      } else {
        std::printf("missed: /%s/ sample %s\n", std::string(entry["pattern"].get_string().value()).c_str(),
                    std::string(ua).c_str());
      }
    }
  }
  std::printf("crawler list samples flagged: %zu/%zu\n", flagged, samples);
  ASSERT_GT(samples, 2000U);
  EXPECT_GE(flagged * 100, samples * 99);
}

// uap-core's test user agents (test_ua.yaml, 1,425 cases) are mostly bots, scripts and apps. The
// "browser test UAs" among them are the cases for which none of these holds:
//   1. uap-core calls it a bot: its device rules give "Spider" (uap_core_spider_rules);
//   2. the crawler list's maintainers call it a bot: the user agent is one of the list's samples,
//      or uap-core's expected family is itself a product the list names (a list pattern matches
//      the family name: "OpenVAS Scanner", "Catchpoint", "HTTrack", "msnbot");
//   3. it does not claim to be a browser: it starts neither with "Mozilla/" nor with "Opera/",
//      as every browser's does (curl/7.29.0, okhttp/3.4.2, python-requests/0.14: scripts);
//   4. its expected family is a headless browser we flag on purpose (HeadlessChrome, PhantomJS).
// At most 0.5% of the rest may be flagged. Every flagged one is printed, excluded or not.
TEST(Bots, FlagsAtMostHalfAPercentOfUapCoresBrowserTestUserAgents) {
  const uap_core_spider_rules uap_core;
  simdjson::dom::parser parser;
  const simdjson::dom::array entries =
      parser.parse(simdjson::padded_string(crawler_user_agents())).get_array();
  std::set<std::string, std::less<>> samples;
  std::vector<std::unique_ptr<RE2>> list_patterns;
  for (const simdjson::dom::element entry : entries) {
    for (const simdjson::dom::element instance : entry["instances"].get_array()) {
      samples.emplace(instance.get_string().value());
    }
    RE2::Options options;
    options.set_log_errors(false);
    list_patterns.push_back(
        std::make_unique<RE2>(std::string(entry["pattern"].get_string().value()), options));
  }
  const auto family_on_list = [&](const std::string& family) {
    for (const auto& p : list_patterns) {
      if (p->ok() && RE2::PartialMatch(family, *p)) return true;
    }
    return false;
  };

  std::size_t cases = 0, browsers = 0, flagged_browsers = 0, flagged_all = 0;
  for (const YAML::Node& c : YAML::LoadFile(uap_core_test_ua)["test_cases"]) {
    const auto ua = c["user_agent_string"].as<std::string>();
    const auto family = c["family"].as<std::string>();
    ++cases;
    const std::optional<std::string> bot = detect(ua);
    flagged_all += bot ? 1U : 0U;
    if (uap_core.calls_a_bot(ua) || samples.contains(ua) || family_on_list(family)) continue;
    if (!ua.starts_with("Mozilla/") && !ua.starts_with("Opera/")) continue;
    if (family == "HeadlessChrome" || family == "PhantomJS") continue;
    ++browsers;
    if (bot) {
      ++flagged_browsers;
      std::printf("flagged browser test UA (family %s) as %s: %s\n", family.c_str(), bot->c_str(),
                  ua.c_str());
    }
  }
  std::printf("uap-core test_ua.yaml: %zu cases, %zu flagged; browser test UAs flagged: %zu/%zu\n", cases,
              flagged_all, flagged_browsers, browsers);
  ASSERT_GT(browsers, 300U);
  EXPECT_LE(flagged_browsers * 1000, browsers * 5);
}

TEST(Bots, FlagsHeadlessAndAutomationBrowsers) {
  EXPECT_EQ(
      detect(
          "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 "
          "Safari/537.36"),
      "HeadlessChrome");
  EXPECT_EQ(
      detect("Mozilla/5.0 (Macintosh; Intel Mac OS X) AppleWebKit/534.34 (KHTML, like Gecko) PhantomJS/2.1.1 "
             "Safari/534.34"),
      "PhantomJS");
  EXPECT_EQ(detect("Mozilla/5.0 (linux) AppleWebKit/537.36 (KHTML, like Gecko) jsdom/22.1.0"), "jsdom");
  EXPECT_EQ(detect("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Cypress/13.6.0 "
                   "Chrome/118.0.5993.159 Electron/27.1.3 Safari/537.36"),
            "Cypress");
  // Electron alone is a desktop app a person uses (Slack here), not a bot.
  EXPECT_EQ(detect("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
                   "Slack/4.36.140 Chrome/120.0.6099.291 Electron/28.2.5 Safari/537.36"),
            std::nullopt);
}

TEST(Bots, LeavesOrdinaryBrowsersAlone) {
  const char* browsers[] = {
      // Chrome: Windows, macOS, Linux, Android; Edge; Samsung Internet
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
      "Safari/537.36",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/121.0.0.0 "
      "Safari/537.36",
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
      "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 "
      "Mobile "
      "Safari/537.36",
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
      "Safari/537.36 Edg/120.0.2210.91",
      "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
      "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
      // Firefox: Windows, macOS, Linux, Android
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0",
      "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
      "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
      // Safari: macOS, iPhone, iPad; Chrome on iOS
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 "
      "Safari/605.1.15",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "Version/17.2 Mobile/15E148 Safari/604.1",
      "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 "
      "Mobile/15E148 Safari/604.1",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
      // short tokens of the list inside browsers' words: "008/" (80legs), "RED/" (REDbot)
      "Opera/9.80 (MAUI Runtime; Opera Mini/4.4.39008/37.9178; U; en) Presto/2.12.423 Version/12.16",
      "Mozilla/5.0 (iPad; U; CPU iPhone OS 7_0 like Mac OS X; de-DE) WIRED/3.2.3.11.87970",
  };
  for (const char* ua : browsers) EXPECT_EQ(detect(ua), std::nullopt) << ua;
}

TEST(Bots, NamesTheBot) {
  EXPECT_EQ(detect("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"), "Googlebot");
  EXPECT_EQ(detect("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"), "AhrefsBot");
  EXPECT_EQ(detect("Wget/1.21.4"), "Wget");
  EXPECT_EQ(detect("curl/8.5.0"), "curl");
  // A short token still matches where it starts a word.
  EXPECT_EQ(detect("Mozilla/5.0 (compatible; 008/0.83; http://www.80legs.com/webcrawler.html)"), "008");
}

TEST(Bots, UapCoresSpiderVerdictNamesTheBotByItsFamily) {
  const std::string ua = "ExampleFetcher/1.0 (compatible)";
  ASSERT_EQ(detect(ua), std::nullopt);
  EXPECT_EQ(detect(ua, {.browser = "ExampleFetcher", .device = "Spider"}), "ExampleFetcher");
  EXPECT_EQ(detect(ua, {.browser = "Other", .device = "Spider"}), "Spider");
  EXPECT_EQ(detect(ua, {.device = "Spider"}), "Spider");
  EXPECT_EQ(detect(ua, {.browser = "ExampleFetcher", .device = "Other"}), std::nullopt);
  // The list speaks first.
  EXPECT_EQ(detect("Googlebot/2.1", {.browser = "SomethingElse", .device = "Spider"}), "Googlebot");
}

TEST(Bots, NameFromPattern) {
  EXPECT_EQ(bot_name_from_pattern("Googlebot\\/"), "Googlebot");
  EXPECT_EQ(bot_name_from_pattern("AdsBot-Google([^-]|$)"), "AdsBot-Google");
  EXPECT_EQ(bot_name_from_pattern("Mediapartners \\(Googlebot\\)"), "Mediapartners (Googlebot)");
  EXPECT_EQ(bot_name_from_pattern("[wW]get"), "Wget");
  EXPECT_EQ(bot_name_from_pattern("S[eE][mM]rushBot"), "SemrushBot");
  EXPECT_EQ(bot_name_from_pattern("Ahrefs(Bot|SiteAudit)"), "AhrefsBot");
  EXPECT_EQ(bot_name_from_pattern("(sistrix|SISTRIX) [cC]rawler"), "sistrix Crawler");
  EXPECT_EQ(bot_name_from_pattern("(^| )sentry\\/"), "sentry");
  EXPECT_EQ(bot_name_from_pattern("^curl"), "curl");
  EXPECT_EQ(bot_name_from_pattern("Chirp|gotosocial"), "Chirp");
  EXPECT_EQ(bot_name_from_pattern("BlogTraffic\\/\\d\\.\\d+ Feed-Fetcher"), "BlogTraffic");
  EXPECT_EQ(bot_name_from_pattern("Spider[\\s\\S]*spider\\.com"), "Spider");
  EXPECT_EQ(bot_name_from_pattern("dbot\\)"), "dbot");
  EXPECT_EQ(bot_name_from_pattern("https:\\/\\/developers\\.cloudflare\\.com\\/security-center\\/"),
            "developers.cloudflare.com/security-center");
  EXPECT_EQ(bot_name_from_pattern("^$"), "^$");
  EXPECT_EQ(bot_name_from_pattern("(unclosed|[x"), "unclosed");
  EXPECT_EQ(bot_name_from_pattern("\\"), "\\");
}

TEST(Bots, ListsPatternsVectorscanRefusesAndKeepsTheRest) {
  auto detector = bot_detector::compile(
      R"([{"pattern": "GoodBot"}, {"pattern": "(a)\\1"}, {"pattern": "x*"}, {"pattern": "OtherBot\\/"}])",
      "test");
  ASSERT_TRUE(detector) << detector.err().message;
  ASSERT_EQ(detector->rejected().size(), 2U);
  EXPECT_EQ(detector->rejected()[0].index, 1U);
  EXPECT_EQ(detector->rejected()[0].pattern, "(a)\\1");
  EXPECT_EQ(detector->rejected()[1].index, 2U);
  EXPECT_EQ(detector->detect("x GoodBot y", {}), "GoodBot");
  EXPECT_EQ(detector->detect("OtherBot/2", {}), "OtherBot");
  EXPECT_EQ(detector->detect("xxxx", {}), std::nullopt);
}

TEST(Bots, RefusesWhatIsNotACrawlerList) {
  for (const char* text : {"", "{}", "[1]", R"([{"url": "x"}])", R"([{"pattern": 3}])", "[{"}) {
    const auto detector = bot_detector::compile(text, "bots.json");
    ASSERT_FALSE(detector) << text;
    EXPECT_NE(detector.err().message.find("bots.json: not a crawler list"), std::string::npos)
        << detector.err().message;
  }
  const auto empty = bot_detector::compile("[]", "empty.json");
  ASSERT_TRUE(empty) << empty.err().message;  // our automation patterns still run
  EXPECT_EQ(empty->detect("HeadlessChrome/1", {}), "HeadlessChrome");
}

TEST(Bots, DetectsFromManyThreadsAtOnce) {
  const std::string bot = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)";
  const std::string person =
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (std::size_t t = 0; t < wrong.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        wrong[t] += detect(bot) != "bingbot" ? 1 : 0;
        wrong[t] += detect(person) != std::nullopt ? 1 : 0;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const int w : wrong) EXPECT_EQ(w, 0);
}

}  // namespace
}  // namespace clicktrail::enrich
