#pragma once
// The rules of a uap-core regexes.yaml read into plain data, before any regex is compiled
// (user_agent_parser compiles them). The reading follows uap-core's specification and the
// reference parsers' defaults (uap-python 1.0, uap-rust), which its test suites are written for.

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace clicktrail::enrich {

enum class ua_section { user_agent, os, device };
inline constexpr std::size_t ua_section_count = 3;

// The section's key in regexes.yaml: "user_agent_parsers", "os_parsers", "device_parsers".
std::string_view to_string(ua_section section) noexcept;

// How a matching rule gives one output field: a replacement template (its $1..$9 replaced by the
// capture groups, a group that did not take part as empty text; the result trimmed, empty
// meaning absent) or else the text of one capture group (empty or missing meaning absent).
struct ua_field_rule {
  std::optional<std::string> replacement;
  int group = 0;  // used without a replacement; 0: no fallback (the device's brand)
};

// One rule's output fields, by section:
//   user_agent: family, major, minor, patch, patch_minor
//   os:         family, major, minor, patch, patch_minor
//   device:     family, brand, model (the last two unused)
inline constexpr std::size_t ua_field_count = 5;

struct ua_rule {
  ua_section section = ua_section::user_agent;
  std::size_t index = 0;  // its position in its section, from 0
  std::string regex;
  bool caseless = false;  // regex_flag: 'i' (device rules)
  std::array<ua_field_rule, ua_field_count> fields;
};

// Every rule of the three sections, in file order, sections in the order above. An error names
// `origin` (a path, or the built-in copy) and what is wrong: YAML that does not parse, a missing
// section, or a rule without a regex or with an unknown regex_flag, by section and index.
base::result<std::vector<ua_rule>> read_uap_rules(std::string_view regexes_yaml, std::string_view origin);

// `regex` with each bounded repetition {0,N} or {1,N} of N ≥ 100 made unbounded (* or +).
// uap-core bounds its repetitions to cap backtracking in the engines that backtrack; RE2 does
// not backtrack, but bounds that large multiply the states of its DFA until the DFA gives up
// and RE2 falls back to its NFA, 20-100× slower on those rules. The reference parsers that run
// an automaton (uap-python's re2 resolver, uap-rust behind ua-parser-rs) make the same rewrite;
// uap-core's test suites pass with it. Escaped braces and braces in a class are left alone.
std::string unbounded_repeats(std::string_view regex);

// "user_agent_parsers[12] /regex/", the way errors name a rule.
std::string describe(const ua_rule& rule);

}  // namespace clicktrail::enrich
