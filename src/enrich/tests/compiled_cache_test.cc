// compiled_cache: a database compiled once is read back by the next compile of the same inputs,
// matches as the compiled one does, and a file that is not whole is compiled again; the same for
// the crawler list's set-aside patterns and the user-agent rules' plan.
#include "enrich/compiled_cache.h"

#include <gtest/gtest.h>
#include <hs/hs.h>
#include <stdlib.h>  // NOLINT: setenv, unsetenv
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "enrich/bots.h"
#include "enrich/embedded_data.h"
#include "enrich/literal_scanner.h"
#include "enrich/user_agent.h"
#include "enrich/user_agent_plan.h"

namespace clicktrail::enrich {
namespace {

namespace fs = std::filesystem;

class compiled_cache_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("clicktrail-compiled-cache-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<fs::path> files() const {
    std::vector<fs::path> out;
    if (fs::exists(dir_)) {
      for (const auto& f : fs::directory_iterator(dir_)) out.push_back(f.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Each file with the time it was last written: equal after a second compile when that compile
  // read the cache rather than writing it again.
  std::vector<std::pair<fs::path, fs::file_time_type>> written() const {
    std::vector<std::pair<fs::path, fs::file_time_type>> out;
    for (const auto& f : files()) out.emplace_back(f, fs::last_write_time(f));
    return out;
  }

  fs::path dir_;
};

const std::vector<std::string> literals = {"chrome", "firefox", "iphone", "android", "bot", "safari"};

std::vector<int> found_in(const literal_scanner& s, std::string_view text) {
  std::vector<int> found;
  s.scan(text, found);
  std::sort(found.begin(), found.end());
  return found;
}

TEST_F(compiled_cache_test, a_second_compile_reads_the_first_ones_database) {
  const compiled_cache cache(dir_);
  auto first = literal_scanner::compile(literals, &cache);
  ASSERT_TRUE(first) << first.err().message;
  const auto stored = files();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(fs::status(dir_).permissions() & fs::perms::all, fs::perms::owner_all);
  const auto written_at = fs::last_write_time(stored[0]);

  auto second = literal_scanner::compile(literals, &cache);
  ASSERT_TRUE(second) << second.err().message;
  EXPECT_EQ(files(), stored);
  EXPECT_EQ(fs::last_write_time(stored[0]), written_at) << "read, not compiled and written again";
  for (const char* ua : {"Mozilla/5.0 (iPhone) Safari", "Googlebot/2.1", "CHROME on Android", "curl/8"}) {
    EXPECT_EQ(found_in(*second, ua), found_in(*first, ua)) << ua;
  }
  EXPECT_EQ(found_in(*second, "Mozilla/5.0 (iPhone) Safari"), (std::vector<int>{2, 5}));
}

TEST_F(compiled_cache_test, other_inputs_are_filed_apart) {
  const compiled_cache cache(dir_);
  ASSERT_TRUE(literal_scanner::compile(literals, &cache));
  ASSERT_TRUE(literal_scanner::compile({"chrome", "firefox"}, &cache));
  EXPECT_EQ(files().size(), 2u);
  auto two = literal_scanner::compile({"chrome", "firefox"}, &cache);
  ASSERT_TRUE(two);
  EXPECT_EQ(found_in(*two, "firefox and safari"), (std::vector<int>{1}));
}

TEST_F(compiled_cache_test, a_file_that_is_not_whole_is_compiled_again_and_replaced) {
  const compiled_cache cache(dir_);
  ASSERT_TRUE(literal_scanner::compile(literals, &cache));
  const fs::path file = files().at(0);
  const auto read = [&] {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  const std::string whole = read();
  const auto rewrite = [&](auto&& change) {
    std::string bytes = whole;
    change(bytes);
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
  };
  for (const auto& [what, change] : std::vector<std::pair<const char*, void (*)(std::string&)>>{
           {"a byte of the database changed", [](std::string& b) { b[b.size() / 2] ^= 0x5a; }},
           {"cut short", [](std::string& b) { b.resize(b.size() - 100); }},
           {"empty", [](std::string& b) { b.clear(); }},
           {"another file", [](std::string& b) { b = "not a database"; }},
       }) {
    SCOPED_TRACE(what);
    rewrite(change);
    auto again = literal_scanner::compile(literals, &cache);
    ASSERT_TRUE(again) << again.err().message;
    EXPECT_EQ(found_in(*again, "Googlebot on Android"), (std::vector<int>{3, 4}));
    EXPECT_TRUE(read() == whole) << "replaced by a whole one";
  }
}

TEST_F(compiled_cache_test, a_cache_that_cannot_be_written_costs_only_the_compile) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "a-file") << "x";
  const compiled_cache cache(dir_ / "a-file" / "clicktrail");  // under a regular file: never a directory
  auto scanner = literal_scanner::compile(literals, &cache);
  ASSERT_TRUE(scanner) << scanner.err().message;
  EXPECT_EQ(found_in(*scanner, "iphone"), (std::vector<int>{2}));
}

TEST_F(compiled_cache_test, the_crawler_list_detects_the_same_bots_from_the_cache) {
  const compiled_cache cache(dir_);
  auto compiled = bot_detector::compile(crawler_user_agents(), "built in", &cache);
  ASSERT_TRUE(compiled) << compiled.err().message;
  const auto stored = files();
  ASSERT_EQ(stored.size(), 2u);  // the database, and which patterns were set aside
  const auto written_at = fs::last_write_time(stored[0]);
  auto cached = bot_detector::compile(crawler_user_agents(), "built in", &cache);
  ASSERT_TRUE(cached) << cached.err().message;
  EXPECT_EQ(files(), stored);
  EXPECT_EQ(fs::last_write_time(stored[0]), written_at);
  for (const char* ua :
       {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "python-requests/2.31.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0"}) {
    EXPECT_EQ(cached->detect(ua, {}), compiled->detect(ua, {})) << ua;
  }
  EXPECT_EQ(cached->detect("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", {}),
            "Googlebot");
  EXPECT_FALSE(cached->detect("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0", {}));
}

// A start from the cache sets aside the same patterns, for the same reasons, without parsing
// each pattern again; the one pattern that only the whole compile refuses is among them.
TEST_F(compiled_cache_test, a_list_with_bad_patterns_sets_the_same_aside_from_the_cache) {
  const std::string list = R"([{"pattern": "Googlebot"}, {"pattern": "(unclosed"}, {"pattern": "x*"},
      {"pattern": "curl\u0000"}, {"pattern": "python-requests"}, {"pattern": "a{2000}b{2000}c{2000}"}])";
  const compiled_cache cache(dir_);
  auto cold = bot_detector::compile(list, "a list", &cache);
  ASSERT_TRUE(cold) << cold.err().message;
  const auto stored = written();
  ASSERT_EQ(stored.size(), 2u);
  auto warm = bot_detector::compile(list, "a list", &cache);
  ASSERT_TRUE(warm) << warm.err().message;
  EXPECT_EQ(written(), stored);

  auto indices = [](const bot_detector& d) {
    std::vector<std::pair<std::size_t, std::string>> out;
    for (const auto& r : d.rejected()) out.emplace_back(r.index, r.reason);
    std::sort(out.begin(), out.end());
    return out;
  };
  ASSERT_GE(cold->rejected().size(), 3u);
  EXPECT_EQ(indices(*warm), indices(*cold));
  for (const auto& r : warm->rejected()) EXPECT_NE(r.index, 0u) << r.pattern << ": " << r.reason;
  EXPECT_EQ(warm->detect("Mozilla/5.0 (compatible; Googlebot/2.1)", {}), "Googlebot");
  EXPECT_EQ(warm->detect("python-requests/2.31.0", {}), cold->detect("python-requests/2.31.0", {}));
  EXPECT_FALSE(warm->detect("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0", {}));
}

// The user-agent rules read back from the cache (their plan: no YAML read, no prefilter
// computed) parse the user agents of uap-core's suites as the rules compiled from the file do:
// every fourth case of each, which keeps this test to a second under the sanitizers' builds.
TEST_F(compiled_cache_test, the_user_agent_rules_parse_the_same_from_the_cache) {
  const compiled_cache cache(dir_);
  auto cold = user_agent_parser::compile(uap_core_regexes(), "built in", &cache);
  ASSERT_TRUE(cold) << cold.err().message;
  const auto stored = written();
  ASSERT_EQ(stored.size(), 2u);  // the plan, and the scanner of its atoms
  auto warm = user_agent_parser::compile(uap_core_regexes(), "built in", &cache);
  ASSERT_TRUE(warm) << warm.err().message;
  EXPECT_EQ(written(), stored);

  std::size_t compared = 0;
  for (const char* suite : {"test_ua.yaml", "test_os.yaml", "test_device.yaml"}) {
    const YAML::Node cases = YAML::LoadFile(std::string(CT_UAP_CORE_TESTS) + "/" + suite)["test_cases"];
    ASSERT_TRUE(cases && cases.IsSequence()) << suite;
    for (std::size_t i = 0; i < cases.size(); i += 4) {
      const auto ua = cases[i]["user_agent_string"].as<std::string>();
      ASSERT_EQ(warm->parse(ua), cold->parse(ua)) << suite << ": " << ua;
      ++compared;
    }
  }
  EXPECT_GT(compared, 500u);
}

TEST(user_agent_plan, reads_back_what_it_wrote_and_refuses_anything_cut_short) {
  auto plan = make_ua_plan(uap_core_regexes(), "built in", 2, 9);
  ASSERT_TRUE(plan) << plan.err().message;
  const std::string bytes = to_bytes(*plan);
  auto back = ua_plan_from_bytes(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(to_bytes(*back), bytes);
  ASSERT_EQ(back->rules.size(), plan->rules.size());
  EXPECT_EQ(back->atoms, plan->atoms);
  for (const std::size_t cut : {std::size_t{0}, std::size_t{5}, bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_FALSE(ua_plan_from_bytes(std::string_view(bytes).substr(0, cut))) << cut;
  }
  EXPECT_FALSE(ua_plan_from_bytes(bytes + "x"));
}

TEST(compiled_cache_dir, follows_xdg_then_home_and_can_be_off) {
  const auto keep = [](const char* name) {
    const char* v = std::getenv(name);
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  const auto xdg = keep("XDG_CACHE_HOME"), home = keep("HOME");
  ::setenv("XDG_CACHE_HOME", "/x/cache", 1);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(compiled_cache::dir_for(""), fs::path("/x/cache/clicktrail"));
  EXPECT_EQ(compiled_cache::dir_for("/srv/rules"), fs::path("/srv/rules"));
  EXPECT_TRUE(compiled_cache::dir_for("off").empty());
  ::setenv("XDG_CACHE_HOME", "relative", 1);  // the XDG spec says to ignore a relative path
  EXPECT_EQ(compiled_cache::dir_for(""), fs::path("/home/u/.cache/clicktrail"));
  ::unsetenv("XDG_CACHE_HOME");
  ::unsetenv("HOME");
  EXPECT_TRUE(compiled_cache::dir_for("").empty());
  if (xdg) ::setenv("XDG_CACHE_HOME", xdg->c_str(), 1);
  if (home) ::setenv("HOME", home->c_str(), 1);
}

}  // namespace
}  // namespace clicktrail::enrich
