#include "enrich/user_agent.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "enrich/compiled_cache.h"
#include "enrich/literal_scanner.h"
#include "enrich/rule_prefilter.h"
#include "enrich/user_agent_plan.h"
#include "enrich/user_agent_rules.h"

namespace clicktrail::enrich {

namespace {

// Atoms shorter than this are not looked for: a rule whose literals are all shorter runs on
// every user agent. bench/enrich measured 2 fastest on uap-core 0.16.0's test user agents
// (2,914 atoms, 6 rules without one, ~14 regexes run per user agent): 7.0 µs per user agent,
// against 7.5 µs with 3 (~28 run) and 25 µs with 4 (~58 run).
constexpr std::size_t min_atom_length = 2;

// $1..$9 in a template; $0 and higher groups are not captured.
constexpr int max_groups = 9;

using groups_view = std::span<const re2::StringPiece>;  // [0] is the whole match

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// A replacement template with $1..$9 replaced, trimmed; none when that leaves nothing. Built and
// trimmed in place, without reserving: most results fit std::string's inline buffer, and then
// parse() allocates nothing for them.
std::optional<std::string> substitute(std::string_view pattern, groups_view groups) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '$' && i + 1 < pattern.size() && pattern[i + 1] >= '0' && pattern[i + 1] <= '9') {
      std::size_t group = static_cast<std::size_t>(pattern[++i] - '0');
      if (group > 0 && group < groups.size()) out.append(groups[group].data(), groups[group].size());
    } else {
      out.push_back(c);
    }
  }
  auto last = std::find_if_not(out.rbegin(), out.rend(), is_space).base();
  out.erase(last, out.end());
  out.erase(out.begin(), std::find_if_not(out.begin(), out.end(), is_space));
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<std::string> field_value(const ua_field_rule& rule, groups_view groups) {
  if (rule.replacement) return substitute(*rule.replacement, groups);
  if (rule.group <= 0 || static_cast<std::size_t>(rule.group) >= groups.size()) return std::nullopt;
  const re2::StringPiece& text = groups[static_cast<std::size_t>(rule.group)];
  if (text.empty()) return std::nullopt;
  return std::string(text.data(), text.size());
}

// major[.minor[.patch[.patch_minor]]], up to the first part missing; none without a major.
std::optional<std::string> join_version(std::span<std::optional<std::string>> parts) {
  if (parts.empty() || !parts[0]) return std::nullopt;
  std::string out = std::move(*parts[0]);
  for (std::size_t i = 1; i < parts.size() && parts[i]; ++i) {
    out += '.';
    out += *parts[i];
  }
  return out;
}

}  // namespace

struct user_agent_parser::engine {
  // A rule's regex is compiled the first time a user agent gets past its prefilter: most of
  // uap-core's 1,162 rules never do in a run, and compiling them all was a quarter of a sink's
  // start. Any thread may be the first.
  struct rule {
    std::string text;
    re2::RE2::Options options;
    int groups = 0;  // capture groups to ask RE2 for, at most max_groups
    std::array<ua_field_rule, ua_field_count> fields;
    mutable std::once_flag compiled;
    mutable std::unique_ptr<const re2::RE2> re;

    // A regex that no longer compiles (a cached plan meeting another RE2) matches nothing.
    const re2::RE2& regex() const {
      std::call_once(compiled, [this] { re = std::make_unique<const re2::RE2>(text, options); });
      return *re;
    }
  };

  std::deque<rule> rules;                                 // by id: file order, one section after the other
  std::array<int, ua_section_count + 1> section_begin{};  // section s has ids [begin[s], begin[s+1])
  std::optional<literal_scanner> atoms;                   // finds the rules' atoms
  rule_prefilter prefilter;                               // the rules those atoms let through

  // The fields of the first rule of `section` that is a candidate and matches `ua`, or nothing.
  bool first_match(ua_section section, std::string_view ua, const scratch& s,
                   std::array<std::optional<std::string>, ua_field_count>& out) const;
};

// One thread's buffers for parse(): the atoms found in a user agent, as a list and as a bitset,
// and the candidate rules as a bitset. parse() leaves the bitsets cleared.
struct user_agent_parser::scratch {
  std::vector<int> found;
  std::vector<std::uint64_t> found_bits, candidates;
};

bool user_agent_parser::engine::first_match(
    ua_section section, std::string_view ua, const scratch& s,
    std::array<std::optional<std::string>, ua_field_count>& out) const {
  const auto begin = static_cast<std::size_t>(section_begin[static_cast<std::size_t>(section)]);
  const auto end = static_cast<std::size_t>(section_begin[static_cast<std::size_t>(section) + 1]);
  std::array<re2::StringPiece, max_groups + 1> groups;
  for (std::size_t w = begin / 64; w * 64 < end; ++w) {
    std::uint64_t word = s.candidates[w];
    if (w == begin / 64) word &= ~std::uint64_t{0} << (begin % 64);
    for (; word != 0; word &= word - 1) {
      const std::size_t id = w * 64 + static_cast<std::size_t>(std::countr_zero(word));
      if (id >= end) return false;
      if (!prefilter.admits(id, s.found_bits)) continue;
      const rule& r = rules[id];
      const auto count = static_cast<std::size_t>(r.groups) + 1;
      if (!r.regex().Match(re2::StringPiece(ua.data(), ua.size()), 0, ua.size(), re2::RE2::UNANCHORED,
                           groups.data(), static_cast<int>(count))) {
        continue;
      }
      for (std::size_t f = 0; f < ua_field_count; ++f)
        out[f] = field_value(r.fields[f], groups_view(groups.data(), count));
      return true;
    }
  }
  return false;
}

base::result<user_agent_parser> user_agent_parser::compile(std::string_view regexes_yaml,
                                                           std::string_view origin,
                                                           const compiled_cache* cache) {
  // What the plan depends on besides the file: the parser's own parameters.
  const std::string inputs = fmt::format("uap-core rules, atoms of {} bytes or more, {} groups\n{}",
                                         min_atom_length, max_groups, regexes_yaml);
  std::optional<ua_plan> plan;
  if (cache != nullptr) {
    if (auto bytes = cache->load_bytes("user-agent-rules", inputs)) plan = ua_plan_from_bytes(*bytes);
  }
  if (!plan) {
    auto made = make_ua_plan(regexes_yaml, origin, min_atom_length, max_groups);
    if (!made) return std::move(made).err();
    plan = std::move(made).value();
    if (cache != nullptr) cache->store_bytes("user-agent-rules", inputs, to_bytes(*plan));
  }
  auto built = std::make_unique<engine>();
  std::vector<std::vector<atom_clause>> clauses;  // by rule id
  clauses.reserve(plan->rules.size());
  for (ua_plan::rule& r : plan->rules) {
    engine::rule& rule = built->rules.emplace_back();
    rule.text = std::move(r.regex);
    rule.options.set_log_errors(false);
    rule.options.set_case_sensitive(!r.caseless);
    rule.groups = std::clamp(r.groups, 0, max_groups);
    rule.fields = std::move(r.fields);
    clauses.push_back(std::move(r.clauses));
    // Ids are given in order from 0; the sections arrive one after the other.
    const auto rule_id = static_cast<int>(built->rules.size() - 1);
    for (auto s = static_cast<std::size_t>(r.section) + 1; s <= ua_section_count; ++s)
      built->section_begin[s] = rule_id + 1;
  }
  auto scanner = literal_scanner::compile(plan->atoms, cache);
  if (!scanner) return base::error::fail(fmt::format("{}: {}", origin, scanner.err().message));
  built->atoms.emplace(std::move(*scanner));
  built->prefilter = rule_prefilter(clauses, plan->atoms);
  return user_agent_parser(std::move(built));
}

user_agent_fields user_agent_parser::parse(std::string_view ua) const {
  const engine& e = *engine_;
  thread_local scratch s;
  s.found.clear();
  s.found_bits.resize(std::max(s.found_bits.size(), e.prefilter.atom_words()));
  s.candidates.resize(std::max(s.candidates.size(), e.prefilter.rule_words()));
  e.atoms->scan(ua, s.found);
  for (int a : s.found) s.found_bits[static_cast<std::size_t>(a) / 64] |= std::uint64_t{1} << (a % 64);
  e.prefilter.trigger(s.found, s.candidates);
  // Leaves the bitsets cleared for the next call, whatever happens below.
  struct clear_scratch {
    scratch& s;
    std::size_t rule_words;
    ~clear_scratch() {
      for (int a : s.found) s.found_bits[static_cast<std::size_t>(a) / 64] = 0;
      std::fill_n(s.candidates.begin(), rule_words, 0);
    }
  } clear{s, e.prefilter.rule_words()};

  user_agent_fields out;
  std::array<std::optional<std::string>, ua_field_count> parts;
  if (e.first_match(ua_section::user_agent, ua, s, parts)) {
    out.browser = std::move(parts[0]);
    out.browser_version = join_version(std::span(parts).subspan(1));
  }
  if (e.first_match(ua_section::os, ua, s, parts)) {
    out.os = std::move(parts[0]);
    out.os_version = join_version(std::span(parts).subspan(1));
  }
  if (e.first_match(ua_section::device, ua, s, parts)) {
    out.device = std::move(parts[0]);
    out.device_brand = std::move(parts[1]);
    out.device_model = std::move(parts[2]);
  }
  // uap-core's "no rule matched", which is also what a matching rule without a family gives.
  if (!out.browser) out.browser = "Other";
  if (!out.os) out.os = "Other";
  if (!out.device) out.device = "Other";
  return out;
}

user_agent_parser::user_agent_parser(std::unique_ptr<const engine> compiled) : engine_(std::move(compiled)) {}
user_agent_parser::user_agent_parser(user_agent_parser&&) noexcept = default;
user_agent_parser& user_agent_parser::operator=(user_agent_parser&&) noexcept = default;
user_agent_parser::~user_agent_parser() = default;

}  // namespace clicktrail::enrich
