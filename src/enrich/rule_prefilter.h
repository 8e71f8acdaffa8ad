#pragma once
// rule_prefilter: which rules could match a text, from the required literals ("atoms") found in
// it. It stands in for re2::FilteredRE2::AllPotentials, whose walk of its prefilter tree (and the
// vectors it allocates on each call) cost the user-agent parser as much as the literal scan.
//
// Each rule's requirement is kept in conjunctive form: the rule can match only a text that holds,
// for every clause of the rule, at least one of the clause's atoms; a rule without clauses may
// match any text. The clauses come from FilteredRE2's own prefilter of the rule's regex
// (prefilter_clauses), so they only ever admit more than it does, never less. One clause of each
// rule is its trigger: an atom of it being found makes the rule a candidate (trigger()), and
// admits() then checks the other clauses. Candidates are thus a superset of the matching rules.
//
// Built once, then read-only: any number of threads may ask it at once, each with its own
// bitsets.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace re2 {
class FilteredRE2;
}

namespace clicktrail::enrich {

using atom_clause = std::vector<int>;  // atom indices; a text must hold one of them

// The clauses of the prefilter of the single regex `filter` holds, once compiled with
// `atom_count` atoms (its atom indices). They are read off FilteredRE2::AllPotentials, which tells
// whether a set of found atoms lets the regex through: an atom whose absence alone stops it is a
// clause of its own; the atoms left, when all of those together do not let it through, are
// one more clause. That is exact for an AND or an OR of atoms, and looser for deeper nestings.
std::vector<atom_clause> prefilter_clauses(const re2::FilteredRE2& filter, int atom_count);

class rule_prefilter {
 public:
  rule_prefilter() = default;
  // rules[i]: the clauses of rule i over `atoms` (their text picks each rule's trigger: the
  // clause least likely found, longer atoms taken as rarer).
  rule_prefilter(const std::vector<std::vector<atom_clause>>& rules, const std::vector<std::string>& atoms);

  std::size_t atom_words() const { return (atom_count_ + 63) / 64; }
  std::size_t rule_words() const { return always_.size(); }

  // Sets in `candidates` (rule_words() words) the bit of every rule without clauses and of every
  // rule whose trigger holds one of the `found` atoms.
  void trigger(std::span<const int> found, std::span<std::uint64_t> candidates) const;

  // Whether every clause of candidate `rule` holds an atom set in `found` (atom_words() words).
  bool admits(std::size_t rule, std::span<const std::uint64_t> found) const;

 private:
  std::size_t atom_count_ = 0;
  std::vector<std::uint64_t> always_;         // rules without clauses
  std::vector<std::uint32_t> trigger_begin_;  // atom a triggers triggered_[begin[a], begin[a+1])
  std::vector<std::uint32_t> triggered_;      // rule ids
  std::vector<std::uint32_t> clause_begin_;   // rule r has clauses [begin[r], begin[r+1])
  std::vector<std::uint32_t> atom_begin_;     // clause c has atoms_[begin[c], begin[c+1])
  std::vector<std::uint32_t> atoms_;          // atom ids
};

}  // namespace clicktrail::enrich
