#include "enrich/user_agent_plan.h"

#include <fmt/format.h>
#include <re2/filtered_re2.h>
#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <utility>

#include "enrich/literal_clauses.h"

namespace clicktrail::enrich {

base::result<ua_plan> make_ua_plan(std::string_view regexes_yaml, std::string_view origin,
                                   std::size_t min_atom_length, int max_groups) {
  auto read = read_uap_rules(regexes_yaml, origin);
  if (!read) return std::move(read).err();
  ua_plan plan;
  plan.rules.reserve(read->size());
  std::unordered_map<std::string, int> atom_ids;  // → its index in plan.atoms
  for (ua_rule& spec : *read) {
    ua_plan::rule& rule = plan.rules.emplace_back();
    rule.section = spec.section;
    rule.regex = unbounded_repeats(spec.regex);
    rule.caseless = spec.caseless;
    rule.fields = std::move(spec.fields);
    re2::RE2::Options options;
    options.set_log_errors(false);
    options.set_case_sensitive(!spec.caseless);
    re2::FilteredRE2 filter(static_cast<int>(min_atom_length));
    int id = -1;
    if (filter.Add(rule.regex, options, &id) != re2::RE2::NoError) {
      re2::RE2 probe(spec.regex, options);  // for the message, which Add() does not keep
      return base::error::fail(
          fmt::format("{}: {}: RE2 cannot compile it: {}; rewrite it in RE2's syntax "
                      "(no lookaround, backreferences or possessive quantifiers)",
                      origin, describe(spec), probe.error()));
    }
    std::vector<std::string> own_atoms;
    filter.Compile(&own_atoms);
    rule.groups = std::min(filter.GetRE2(0).NumberOfCapturingGroups(), max_groups);
    // FilteredRE2's prefilter of the rule, or what literal_clauses reads off its text.
    std::vector<std::vector<std::string>> texts;
    for (const atom_clause& c : prefilter_clauses(filter, static_cast<int>(own_atoms.size()))) {
      auto& text = texts.emplace_back();
      for (int a : c) text.push_back(own_atoms[static_cast<std::size_t>(a)]);
    }
    // Only where the prefilter has nothing: elsewhere the literals' extra atoms cost the scan
    // about what the RE2 runs they spare save (callgrind, uap-core's test user agents).
    if (texts.empty()) texts = literal_clauses(spec.regex, spec.caseless, min_atom_length);
    for (const auto& text : texts) {
      auto& c = rule.clauses.emplace_back();
      for (const std::string& atom : text) {
        auto [at, added] = atom_ids.try_emplace(atom, static_cast<int>(plan.atoms.size()));
        if (added) plan.atoms.push_back(at->first);
        c.push_back(at->second);
      }
    }
  }
  return plan;
}

// --- bytes: a version line, then counts and lengths as little-endian u32s before what they count

namespace {

constexpr std::string_view version = "ua_plan 1\n";

class writer {
 public:
  void u32(std::size_t v) {
    const auto x = static_cast<std::uint32_t>(v);
    out.append(reinterpret_cast<const char*>(&x), 4);  // NOLINT: its bytes
  }
  void text(std::string_view s) {
    u32(s.size());
    out.append(s);
  }
  std::string out{version};
};

class reader {
 public:
  explicit reader(std::string_view in) : in_(in) {}
  bool u32(std::uint32_t& v) {
    if (in_.size() < 4) return false;
    std::memcpy(&v, in_.data(), 4);
    in_.remove_prefix(4);
    return true;
  }
  // A count of things of at least `least` bytes each that the bytes left can hold.
  bool count(std::size_t& n, std::size_t least) {
    std::uint32_t v = 0;
    if (!u32(v) || v > in_.size() / least) return false;
    n = v;
    return true;
  }
  bool text(std::string& s) {
    std::size_t n = 0;
    if (!count(n, 1)) return false;
    s.assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace

std::string to_bytes(const ua_plan& plan) {
  writer w;
  w.u32(plan.atoms.size());
  for (const auto& a : plan.atoms) w.text(a);
  w.u32(plan.rules.size());
  for (const auto& r : plan.rules) {
    w.u32(static_cast<std::size_t>(r.section));
    w.text(r.regex);
    w.u32(r.caseless ? 1 : 0);
    w.u32(static_cast<std::size_t>(r.groups));
    for (const ua_field_rule& f : r.fields) {
      w.u32(f.replacement ? 1 : 0);
      if (f.replacement) w.text(*f.replacement);
      w.u32(static_cast<std::size_t>(f.group));
    }
    w.u32(r.clauses.size());
    for (const atom_clause& c : r.clauses) {
      w.u32(c.size());
      for (const int a : c) w.u32(static_cast<std::size_t>(a));
    }
  }
  return std::move(w.out);
}

std::optional<ua_plan> ua_plan_from_bytes(std::string_view bytes) {
  if (!bytes.starts_with(version)) return std::nullopt;
  reader r(bytes.substr(version.size()));
  ua_plan plan;
  std::size_t atoms = 0, rules = 0;
  if (!r.count(atoms, 4)) return std::nullopt;
  plan.atoms.resize(atoms);
  for (auto& a : plan.atoms)
    if (!r.text(a)) return std::nullopt;
  if (!r.count(rules, 4)) return std::nullopt;
  plan.rules.resize(rules);
  for (auto& rule : plan.rules) {
    std::uint32_t section = 0, caseless = 0, groups = 0;
    if (!r.u32(section) || section >= ua_section_count || !r.text(rule.regex) || !r.u32(caseless) ||
        !r.u32(groups)) {
      return std::nullopt;
    }
    rule.section = static_cast<ua_section>(section);
    rule.caseless = caseless != 0;
    rule.groups = static_cast<int>(groups);
    for (ua_field_rule& f : rule.fields) {
      std::uint32_t has = 0, group = 0;
      if (!r.u32(has)) return std::nullopt;
      if (has != 0 && !r.text(f.replacement.emplace())) return std::nullopt;
      if (!r.u32(group)) return std::nullopt;
      f.group = static_cast<int>(group);
    }
    std::size_t clauses = 0;
    if (!r.count(clauses, 4)) return std::nullopt;
    rule.clauses.resize(clauses);
    for (atom_clause& c : rule.clauses) {
      std::size_t n = 0;
      if (!r.count(n, 4)) return std::nullopt;
      c.resize(n);
      for (int& a : c) {
        std::uint32_t v = 0;
        if (!r.u32(v) || v >= atoms) return std::nullopt;
        a = static_cast<int>(v);
      }
    }
  }
  if (!r.done()) return std::nullopt;
  // Sections in order, as the parser's ranges of rule ids need them.
  const bool ordered = std::is_sorted(plan.rules.begin(), plan.rules.end(),
                                      [](const auto& a, const auto& b) { return a.section < b.section; });
  if (!ordered) return std::nullopt;
  return plan;
}

}  // namespace clicktrail::enrich
