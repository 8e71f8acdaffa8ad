#pragma once
// literal_clauses: required literals read off a regex's text, where re2::FilteredRE2's prefilter
// gives up. RE2 gives an alternation no atoms at all once its set of exact strings grows past 16
// or takes an empty string (uap-core's "(UC? ?Browser|UCWEB|U3)[ /]?" has none), which leaves
// rules such as the UC Browser one running on every user agent.
//
// A match of a concatenation holds a match of each of its parts that must occur: so
//   - a run of literal characters at the top of a concatenation is one clause of one atom;
//   - a group that must occur (no quantifier, or one of at least 1) adds its own clauses;
//   - an alternation is one clause: the union of one clause of each alternative, when every
//     alternative has one.
// Anything it does not know (\Q, \x, \p, back-references, inline flags, named groups) gives no
// clause at all for the regex: never one that could stop it matching.

#include <string>
#include <string_view>
#include <vector>

namespace clicktrail::enrich {

// Clauses over lowercase atoms of at least `min_atom_length` characters: a text the regex matches
// holds, for every clause, one of its atoms (ASCII case ignored). With `caseless`, runs are
// broken at 'k' and 's', which RE2 also matches as U+212A and U+017F.
std::vector<std::vector<std::string>> literal_clauses(std::string_view regex, bool caseless,
                                                      std::size_t min_atom_length);

}  // namespace clicktrail::enrich
