#include "enrich/user_agent.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <re2/filtered_re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "enrich/embedded_data.h"
#include "enrich/literal_clauses.h"
#include "enrich/rule_prefilter.h"
#include "enrich/user_agent_rules.h"

namespace clicktrail::enrich {
namespace {

// The parser of the built-in uap-core rules, compiled once for the whole binary.
const user_agent_parser& builtin() {
  static const user_agent_parser parser = [] {
    auto compiled = user_agent_parser::compile(uap_core_regexes(), "uap-core (built in)");
    if (!compiled) throw std::runtime_error(compiled.err().message);
    return std::move(compiled).value();
  }();
  return parser;
}

// A field of a case; null and '' (a few cases write an absent part so) are both absent.
std::optional<std::string> text(const YAML::Node& node) {
  if (!node || node.IsNull() || node.Scalar().empty()) return std::nullopt;
  return node.as<std::string>();
}

// What a case of uap-core's suites expects, in our fields; the other fields are not compared.
struct expectation {
  std::string ua;
  user_agent_fields fields;
};

// major[.minor[.patch[.patch_minor]]] up to the first part missing, as user_agent_fields has it.
// test_ua.yaml is about major, minor and patch only, as uap-core's reference runners check it
// (some of its cases list a patch_minor that no reference parser gives; most list none, where
// the rules do give one), so for the browser the version is compared up to the patch.
std::optional<std::string> version(const YAML::Node& c, std::size_t parts) {
  std::optional<std::string> out;
  const char* names[] = {"major", "minor", "patch", "patch_minor"};
  for (std::size_t i = 0; i < parts; ++i) {
    const char* part = names[i];
    auto value = text(c[part]);
    if (!value) break;
    out = out ? *out + "." + *value : *value;
  }
  return out;
}

// Our browser version without its patch_minor, when the expected one has a patch: its part
// after the expected text and a dot (the parts may hold dots themselves, so not split on them).
std::optional<std::string> up_to_patch(const std::optional<std::string>& ours,
                                       const std::optional<std::string>& expected) {
  if (!ours || !expected || ours->size() <= expected->size()) return ours;
  if (ours->starts_with(*expected) && (*ours)[expected->size()] == '.') return expected;
  return ours;
}

enum class suite { ua, os, device };

// Runs every case of CT_UAP_CORE_TESTS/<file>; fails with the first 20 differences and a count.
void run_suite(const char* file, suite which) {
  const std::string path = fmt::format("{}/{}", CT_UAP_CORE_TESTS, file);
  const YAML::Node cases = YAML::LoadFile(path)["test_cases"];
  ASSERT_TRUE(cases && cases.IsSequence()) << path << " has no test_cases";
  std::size_t failed = 0;
  std::string report;
  for (const YAML::Node& c : cases) {
    const std::string ua = c["user_agent_string"].as<std::string>();
    const user_agent_fields got = builtin().parse(ua);
    user_agent_fields want, seen;
    switch (which) {
      case suite::ua:
        want.browser = text(c["family"]);
        want.browser_version = version(c, 3);
        seen.browser = got.browser;
        seen.browser_version =
            text(c["patch"]) ? up_to_patch(got.browser_version, want.browser_version) : got.browser_version;
        break;
      case suite::os:
        want.os = text(c["family"]);
        want.os_version = version(c, 4);
        seen.os = got.os;
        seen.os_version = got.os_version;
        break;
      case suite::device:
        want.device = text(c["family"]);
        want.device_brand = text(c["brand"]);
        want.device_model = text(c["model"]);
        seen.device = got.device;
        seen.device_brand = got.device_brand;
        seen.device_model = got.device_model;
        break;
    }
    if (seen == want) continue;
    if (++failed <= 20) {
      auto show = [](const user_agent_fields& f) {
        auto v = [](const std::optional<std::string>& s) { return s ? "'" + *s + "'" : std::string("none"); };
        return fmt::format("browser {} {}, os {} {}, device {} brand {} model {}", v(f.browser),
                           v(f.browser_version), v(f.os), v(f.os_version), v(f.device), v(f.device_brand),
                           v(f.device_model));
      };
      report += fmt::format("\n  ua: {}\n    expected: {}\n    actual:   {}", ua, show(want), show(seen));
    }
  }
  EXPECT_EQ(failed, 0U) << failed << " of " << cases.size() << " cases of " << path << " failed"
                        << (failed > 20 ? "; the first 20:" : ":") << report;
  std::printf("%s: %zu of %zu cases pass\n", file, cases.size() - failed, cases.size());
}

TEST(user_agent_parser, passes_every_case_of_uap_core_test_ua) {
  run_suite("test_ua.yaml", suite::ua);
}
TEST(user_agent_parser, passes_every_case_of_uap_core_test_os) {
  run_suite("test_os.yaml", suite::os);
}
TEST(user_agent_parser, passes_every_case_of_uap_core_test_device) {
  run_suite("test_device.yaml", suite::device);
}

// RE2 has no lookaround, backreferences or possessive quantifiers; a rule using them fails
// compile() (below) rather than being skipped. uap-core 0.16.0 has none: every rule compiles.
TEST(user_agent_parser, compiles_every_rule_of_uap_core_in_re2) {
  auto rules = read_uap_rules(uap_core_regexes(), "built in");
  ASSERT_TRUE(rules.ok()) << rules.err().message;
  std::size_t per_section[ua_section_count] = {};
  for (const ua_rule& rule : *rules) ++per_section[static_cast<std::size_t>(rule.section)];
  EXPECT_EQ(per_section[0], 347U);
  EXPECT_EQ(per_section[1], 190U);
  EXPECT_EQ(per_section[2], 625U);
  auto compiled = user_agent_parser::compile(uap_core_regexes(), "built in");
  EXPECT_TRUE(compiled.ok()) << compiled.err().message;
}

TEST(user_agent_rules, large_bounded_repetitions_become_unbounded_and_nothing_else_changes) {
  EXPECT_EQ(unbounded_repeats("^.{0,100}(bot|spider)"), "^.*(bot|spider)");
  EXPECT_EQ(unbounded_repeats("Mozilla.{1,200}Mobile.{1, 100}x"), "Mozilla.+Mobile.+x");
  EXPECT_EQ(unbounded_repeats("; {0,2}(IQ.{0,20}?) [a-z]{1,50}"), "; {0,2}(IQ.{0,20}?) [a-z]{1,50}");
  EXPECT_EQ(unbounded_repeats("a{2,100}b{0,}c{100}"), "a{2,100}b{0,}c{100}");
  EXPECT_EQ(unbounded_repeats(R"(\{0,100}[{0,100}][]{0,100}]x{0,999})"), R"(\{0,100}[{0,100}][]{0,100}]x*)");
}

// A small rule file with each part of the semantics in it.
constexpr std::string_view small_rules = R"(
user_agent_parsers:
  - regex: '(Foo)Bar/(\d+)\.(\d+)'
    family_replacement: '$1 Browser'
  - regex: '(Foo)\w*/(\d+)'
  - regex: 'Fixed/(\d+)'
    family_replacement: 'Fixed'
    v1_replacement: '7'
os_parsers:
  - regex: 'Nothing(Here)?'
    os_replacement: ' $1 '
  - regex: 'Plan ?(\d+)'
    os_replacement: 'Plan 9'
    os_v1_replacement: '$1'
device_parsers:
  - regex: 'gadget-(\w+)'
    regex_flag: 'i'
    device_replacement: 'Gadget $1'
    brand_replacement: 'Acme'
  - regex: '; (\w+) Build'
)";

user_agent_parser small() {
  auto compiled = user_agent_parser::compile(small_rules, "small.yaml");
  if (!compiled) throw std::runtime_error(compiled.err().message);
  return std::move(compiled).value();
}

TEST(user_agent_parser, the_first_matching_rule_in_file_order_gives_the_fields) {
  auto parser = small();
  auto got = parser.parse("FooBar/12.3 Plan9 GADGET-x1");
  EXPECT_EQ(got.browser, "Foo Browser");
  EXPECT_EQ(got.browser_version, "12.3");
  EXPECT_EQ(got.os, "Plan 9");
  EXPECT_EQ(got.os_version, "9");
  EXPECT_EQ(got.device, "Gadget x1");  // regex_flag 'i'
  EXPECT_EQ(got.device_brand, "Acme");
  EXPECT_EQ(got.device_model, "x1");  // the model falls back to $1

  got = parser.parse("Foox/5 (Linux; Pixel Build/1) Fixed/2");
  EXPECT_EQ(got.browser, "Foo");
  EXPECT_EQ(got.browser_version, "5");
  EXPECT_EQ(got.device, "Pixel");
  EXPECT_EQ(got.device_brand, std::nullopt);
  EXPECT_EQ(got.device_model, "Pixel");

  got = parser.parse("Fixed/3");
  EXPECT_EQ(got.browser, "Fixed");
  EXPECT_EQ(got.browser_version, "7");
}

TEST(user_agent_parser, nothing_matching_gives_other_and_no_versions) {
  auto got = small().parse("curl/8.0");
  user_agent_fields other;
  other.browser = other.os = other.device = "Other";
  EXPECT_EQ(got, other);
  EXPECT_EQ(builtin().parse(""), got);
}

TEST(user_agent_parser, a_replacement_left_empty_counts_as_absent) {
  // os_replacement ' $1 ' with group 1 not taking part: empty after trimming, so absent, and the
  // family falls back to "Other".
  auto got = small().parse("Nothing");
  EXPECT_EQ(got.os, "Other");
  EXPECT_EQ(got.os_version, std::nullopt);
  EXPECT_EQ(small().parse("NothingHere").os, "Here");
}

// The threads share a parser none of whose rules has run yet, so they also race to compile each
// rule's RE2 the first time a user agent needs it.
TEST(user_agent_parser, parses_the_same_from_many_threads) {
  const YAML::Node cases = YAML::LoadFile(fmt::format("{}/test_ua.yaml", CT_UAP_CORE_TESTS))["test_cases"];
  std::vector<std::string> uas;
  for (std::size_t i = 0; i < cases.size() && uas.size() < 300; i += 3) {
    uas.push_back(cases[i]["user_agent_string"].as<std::string>());
  }
  std::vector<user_agent_fields> alone;
  for (const auto& ua : uas) alone.push_back(builtin().parse(ua));
  auto shared = user_agent_parser::compile(uap_core_regexes(), "uap-core (built in)");
  ASSERT_TRUE(shared) << shared.err().message;
  std::vector<std::size_t> differ(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < differ.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (std::size_t i = 0; i < uas.size(); ++i) differ[t] += shared->parse(uas[i]) != alone[i] ? 1U : 0U;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t t = 0; t < differ.size(); ++t) EXPECT_EQ(differ[t], 0U) << "thread " << t;
}

TEST(user_agent_parser, yaml_that_does_not_parse_is_an_error_naming_its_origin) {
  auto got =
      user_agent_parser::compile("user_agent_parsers: [ { regex: 'a' ", "/etc/clicktrail/regexes.yaml");
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.err().message.find("/etc/clicktrail/regexes.yaml: is not valid YAML"), std::string::npos)
      << got.err().message;
}

TEST(user_agent_parser, a_missing_section_or_regex_is_an_error) {
  auto got = user_agent_parser::compile("user_agent_parsers: []\nos_parsers: []\n", "r.yaml");
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.err().message.find("r.yaml: has no list `device_parsers`"), std::string::npos)
      << got.err().message;

  got = user_agent_parser::compile(
      "user_agent_parsers: []\nos_parsers: []\ndevice_parsers:\n  - regex: 'x'\n  - device_replacement: "
      "'y'\n",
      "r.yaml");
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.err().message.find("r.yaml: device_parsers[1] has no `regex`"), std::string::npos)
      << got.err().message;

  got = user_agent_parser::compile(
      "user_agent_parsers: []\nos_parsers: []\ndevice_parsers:\n  - regex: 'x'\n    regex_flag: 'x'\n",
      "r.yaml");
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.err().message.find("device_parsers[0] has a regex_flag other than 'i'"), std::string::npos)
      << got.err().message;
}

TEST(user_agent_parser, a_rule_re2_cannot_compile_is_an_error_naming_origin_and_rule) {
  auto got = user_agent_parser::compile(R"(
user_agent_parsers: []
os_parsers:
  - regex: 'Windows'
  - regex: 'Mac(?! OS)'
device_parsers: []
)",
                                        "custom.yaml");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.err().what, base::outcome::fail);
  const std::string& message = got.err().message;
  EXPECT_NE(message.find("custom.yaml: os_parsers[1] /Mac(?! OS)/: RE2 cannot compile it: "),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace clicktrail::enrich

namespace clicktrail::enrich {
namespace {

using text_clauses = std::vector<std::vector<std::string>>;

// The clauses of `regex`'s FilteredRE2 prefilter, as atom texts, each clause sorted.
text_clauses clauses_of(const std::string& regex) {
  re2::FilteredRE2 filter(2);
  int id = -1;
  EXPECT_EQ(filter.Add(regex, re2::RE2::Options(), &id), re2::RE2::NoError);
  std::vector<std::string> atoms;
  filter.Compile(&atoms);
  text_clauses out;
  for (const atom_clause& c : prefilter_clauses(filter, static_cast<int>(atoms.size()))) {
    auto& text = out.emplace_back();
    for (int a : c) text.push_back(atoms[static_cast<std::size_t>(a)]);
    std::sort(text.begin(), text.end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(rule_prefilter, reads_an_and_of_ors_off_filtered_re2_as_one_clause_each) {
  EXPECT_EQ(clauses_of("Foo.*Bar"), (text_clauses{{"bar"}, {"foo"}}));
  EXPECT_EQ(clauses_of("(?:Foo|Quux).*(?:Bar|Baz)"), (text_clauses{{"bar", "baz"}, {"foo", "quux"}}));
  EXPECT_EQ(clauses_of("\\d+"), text_clauses{});  // no atom: a candidate on every text
}

TEST(rule_prefilter, a_rule_is_a_candidate_only_when_every_clause_holds) {
  // atoms: 0 foo, 1 bar, 2 baz; rule 0: foo AND (bar OR baz); rule 1: always; rule 2: baz
  const rule_prefilter prefilter({{{0}, {1, 2}}, {}, {{2}}}, {"foo", "bar", "baz"});
  auto candidates = [&](std::vector<int> found) {
    std::vector<std::uint64_t> found_bits(prefilter.atom_words()), bits(prefilter.rule_words());
    for (int a : found) found_bits[0] |= std::uint64_t{1} << a;
    prefilter.trigger(found, bits);
    std::vector<std::size_t> out;
    for (std::size_t r = 0; r < 3; ++r)
      if ((bits[0] >> r & 1U) != 0 && prefilter.admits(r, found_bits)) out.push_back(r);
    return out;
  };
  EXPECT_EQ(candidates({}), (std::vector<std::size_t>{1}));
  EXPECT_EQ(candidates({0}), (std::vector<std::size_t>{1}));
  EXPECT_EQ(candidates({0, 1}), (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(candidates({2}), (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(candidates({0, 2}), (std::vector<std::size_t>{0, 1, 2}));
}

TEST(literal_clauses, finds_the_literals_filtered_re2_gives_up_on) {
  // RE2's prefilter has no atom for this one (uap-core's UC Browser rule).
  EXPECT_EQ(literal_clauses("(UC? ?Browser|UCWEB|U3)[ /]?(\\d+)\\.(\\d+)", false, 2),
            (text_clauses{{"browser", "ucweb", "u3"}}));
  EXPECT_EQ(literal_clauses("; {0,2}(L-\\d+|LGL)(?:/V\\d+|) {0,2}Build", false, 2),
            (text_clauses{{"l-", "lgl"}, {"build"}}));
  EXPECT_EQ(literal_clauses("ab+c", false, 2), (text_clauses{{"ab"}, {"bc"}}));
  EXPECT_EQ(literal_clauses("Foo\\/Bar(?:Baz)?", false, 2), (text_clauses{{"foo/bar"}}));
}

TEST(literal_clauses, never_asks_for_what_a_match_may_lack) {
  EXPECT_EQ(literal_clauses("(?:Foo|)Bar", false, 2), (text_clauses{{"bar"}}));  // an empty alternative
  EXPECT_EQ(literal_clauses("Fo?o", false, 2), text_clauses{});                  // runs of one letter
  EXPECT_EQ(literal_clauses("(?i)Foo", false, 2), text_clauses{});               // flags it does not read
  EXPECT_EQ(literal_clauses("\\QFoo\\E", false, 2), text_clauses{});
  // Caseless, RE2 matches 's' and 'k' as U+017F and U+212A too, which an ASCII scan would miss.
  EXPECT_EQ(literal_clauses("Desk top", true, 2), (text_clauses{{"de"}, {" top"}}));
}

}  // namespace
}  // namespace clicktrail::enrich
