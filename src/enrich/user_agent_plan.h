#pragma once
// What compiling uap-core's rules yields before any regex is built for matching: each rule's
// regex as RE2 runs it, its case flag, capture groups and fields, and the clauses of its
// prefilter over one list of atoms (rule_prefilter.h). Making it reads regexes.yaml and runs
// re2::FilteredRE2 over every rule, which was half of a sink's start (0.38 of 0.81 billion
// instructions, callgrind). It is plain data, so it is kept between runs in the compiled cache
// (compiled_cache.h), as the bytes to_bytes() writes.

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "enrich/rule_prefilter.h"
#include "enrich/user_agent_rules.h"

namespace clicktrail::enrich {

struct ua_plan {
  struct rule {
    ua_section section = ua_section::user_agent;
    std::string regex;  // as RE2 runs it: unbounded_repeats() of the file's
    bool caseless = false;
    int groups = 0;  // capture groups to ask RE2 for
    std::array<ua_field_rule, ua_field_count> fields;
    std::vector<atom_clause> clauses;  // over `atoms`; none: the rule may match any text
  };
  std::vector<rule> rules;  // in file order, one section after the other
  std::vector<std::string> atoms;
};

// Reads the rules of `regexes_yaml` and prefilters them. Atoms shorter than `min_atom_length`
// are not looked for; a rule asks for at most `max_groups` capture groups. An error names
// `origin` and the rule: YAML that does not parse, or a regex RE2 cannot compile.
base::result<ua_plan> make_ua_plan(std::string_view regexes_yaml, std::string_view origin,
                                   std::size_t min_atom_length, int max_groups);

std::string to_bytes(const ua_plan& plan);
// The plan to_bytes() wrote, or nothing for any other bytes (cut short, another version).
std::optional<ua_plan> ua_plan_from_bytes(std::string_view bytes);

}  // namespace clicktrail::enrich
