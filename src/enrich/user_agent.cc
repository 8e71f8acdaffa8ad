#include "enrich/user_agent.h"

#include <fmt/format.h>
#include <re2/filtered_re2.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <span>
#include <utility>
#include <vector>

#include "enrich/literal_scanner.h"
#include "enrich/user_agent_rules.h"

namespace clicktrail::enrich {

namespace {

// Atoms shorter than this are not looked for: a rule whose literals are all shorter runs on
// every user agent. bench/enrich measured 2 fastest on uap-core 0.16.0's test user agents
// (2,914 atoms, 6 rules without one, ~14 regexes run per user agent): 7.0 µs per user agent,
// against 7.5 µs with 3 (~28 run) and 25 µs with 4 (~58 run).
constexpr int min_atom_length = 2;

// $1..$9 in a template; $0 and higher groups are not captured.
constexpr int max_groups = 9;

using groups_view = std::span<const re2::StringPiece>;  // [0] is the whole match

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// A replacement template with $1..$9 replaced, trimmed; none when that leaves nothing.
std::optional<std::string> substitute(std::string_view pattern, groups_view groups) {
  std::string out;
  out.reserve(pattern.size() + 16);
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '$' && i + 1 < pattern.size() && pattern[i + 1] >= '0' && pattern[i + 1] <= '9') {
      std::size_t group = static_cast<std::size_t>(pattern[++i] - '0');
      if (group > 0 && group < groups.size()) out.append(groups[group].data(), groups[group].size());
    } else {
      out.push_back(c);
    }
  }
  auto first = std::find_if_not(out.begin(), out.end(), is_space);
  auto last = std::find_if_not(out.rbegin(), std::make_reverse_iterator(first), is_space).base();
  if (first == last) return std::nullopt;
  return std::string(first, last);
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
  struct rule {
    int groups = 0;  // capture groups to ask RE2 for, at most max_groups
    std::array<ua_field_rule, ua_field_count> fields;
  };

  re2::FilteredRE2 filter{min_atom_length};               // owns the RE2 of each rule, by rule id
  std::optional<literal_scanner> atoms;                   // finds the filter's atoms; none when it has none
  std::vector<rule> rules;                                // by id: file order, one section after the other
  std::array<int, ua_section_count + 1> section_begin{};  // section s has ids [begin[s], begin[s+1])

  // The fields of the first candidate of `section` that matches `ua`, or nothing; advances
  // `next` past the section's candidates.
  bool first_match(ua_section section, std::string_view ua, std::vector<int>::const_iterator& next,
                   std::vector<int>::const_iterator end,
                   std::array<std::optional<std::string>, ua_field_count>& out) const;
};

bool user_agent_parser::engine::first_match(
    ua_section section, std::string_view ua, std::vector<int>::const_iterator& next,
    std::vector<int>::const_iterator end, std::array<std::optional<std::string>, ua_field_count>& out) const {
  const int section_end = section_begin[static_cast<std::size_t>(section) + 1];
  std::array<re2::StringPiece, max_groups + 1> groups;
  for (; next != end && *next < section_end; ++next) {
    const rule& r = rules[static_cast<std::size_t>(*next)];
    const auto count = static_cast<std::size_t>(r.groups) + 1;
    if (!filter.GetRE2(*next).Match(re2::StringPiece(ua.data(), ua.size()), 0, ua.size(),
                                    re2::RE2::UNANCHORED, groups.data(), static_cast<int>(count))) {
      continue;
    }
    for (std::size_t f = 0; f < ua_field_count; ++f)
      out[f] = field_value(r.fields[f], groups_view(groups.data(), count));
    next = std::lower_bound(next, end, section_end);
    return true;
  }
  return false;
}

base::result<user_agent_parser> user_agent_parser::compile(std::string_view regexes_yaml,
                                                           std::string_view origin) {
  auto read = read_uap_rules(regexes_yaml, origin);
  if (!read) return std::move(read).err();
  auto built = std::make_unique<engine>();
  built->rules.reserve(read->size());
  for (const ua_rule& spec : *read) {
    re2::RE2::Options options;
    options.set_log_errors(false);
    options.set_case_sensitive(!spec.caseless);
    int id = -1;
    if (built->filter.Add(unbounded_repeats(spec.regex), options, &id) != re2::RE2::NoError) {
      re2::RE2 probe(spec.regex, options);  // for the message, which Add() does not keep
      return base::error::fail(
          fmt::format("{}: {}: RE2 cannot compile it: {}; rewrite it in RE2's syntax "
                      "(no lookaround, backreferences or possessive quantifiers)",
                      origin, describe(spec), probe.error()));
    }
    // Ids are given in order from 0; the sections arrive one after the other.
    for (auto s = static_cast<std::size_t>(spec.section) + 1; s <= ua_section_count; ++s)
      built->section_begin[s] = id + 1;
    const int groups = std::min(built->filter.GetRE2(id).NumberOfCapturingGroups(), max_groups);
    built->rules.push_back({groups, spec.fields});
  }
  std::vector<std::string> atoms;
  if (!built->rules.empty()) built->filter.Compile(&atoms);
  auto scanner = literal_scanner::compile(atoms);
  if (!scanner) return base::error::fail(fmt::format("{}: {}", origin, scanner.err().message));
  built->atoms.emplace(std::move(*scanner));
  return user_agent_parser(std::move(built));
}

user_agent_fields user_agent_parser::parse(std::string_view ua) const {
  const engine& e = *engine_;
  std::vector<int> atoms;
  atoms.reserve(64);
  e.atoms->scan(ua, atoms);
  std::vector<int> candidates;  // sorted ids
  if (!e.rules.empty()) e.filter.AllPotentials(atoms, &candidates);

  user_agent_fields out;
  std::array<std::optional<std::string>, ua_field_count> parts;
  auto next = candidates.cbegin();
  if (e.first_match(ua_section::user_agent, ua, next, candidates.cend(), parts)) {
    out.browser = std::move(parts[0]);
    out.browser_version = join_version(std::span(parts).subspan(1));
  }
  if (e.first_match(ua_section::os, ua, next, candidates.cend(), parts)) {
    out.os = std::move(parts[0]);
    out.os_version = join_version(std::span(parts).subspan(1));
  }
  if (e.first_match(ua_section::device, ua, next, candidates.cend(), parts)) {
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
