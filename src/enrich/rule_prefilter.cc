#include "enrich/rule_prefilter.h"

#include <re2/filtered_re2.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>

namespace clicktrail::enrich {

namespace {

bool has_bit(std::span<const std::uint64_t> bits, std::size_t i) {
  return (bits[i / 64] >> (i % 64)) & 1U;
}

// How likely a text is to hold one of the clause's atoms, roughly: each more letter a tenth.
double likelihood(const atom_clause& clause, const std::vector<std::string>& atoms) {
  double sum = 0;
  for (int a : clause) sum += std::pow(0.1, static_cast<double>(atoms[static_cast<std::size_t>(a)].size()));
  return sum;
}

}  // namespace

std::vector<atom_clause> prefilter_clauses(const re2::FilteredRE2& filter, int atom_count) {
  std::vector<int> scratch, present;
  // Whether the regex is let through when the text holds every atom but `absent` (sorted).
  auto lets_through_without = [&](const std::vector<int>& absent) {
    present.clear();
    for (int a = 0, i = 0; a < atom_count; ++a) {
      if (i < static_cast<int>(absent.size()) && absent[static_cast<std::size_t>(i)] == a) {
        ++i;
      } else {
        present.push_back(a);
      }
    }
    scratch.clear();
    filter.AllPotentials(present, &scratch);
    return !scratch.empty();
  };
  std::vector<int> all(static_cast<std::size_t>(atom_count));
  std::iota(all.begin(), all.end(), 0);
  // No atom needed, or (not expected) not even all of them enough: a candidate always.
  if (lets_through_without(all) || !lets_through_without({})) return {};

  // Each pass takes away the atoms not yet in a clause one by one until the regex is stopped;
  // those taken away then form a clause, pared down to the atoms it cannot do without (a
  // prime implicate of the prefilter). A pass that never stops the regex ends the search.
  std::vector<atom_clause> clauses;
  std::vector<bool> covered(static_cast<std::size_t>(atom_count));
  for (bool found = true; found;) {
    found = false;
    std::vector<int> absent;
    for (int a = 0; a < atom_count && !found; ++a) {
      if (covered[static_cast<std::size_t>(a)]) continue;
      absent.push_back(a);
      if (lets_through_without(absent)) continue;
      for (std::size_t i = absent.size() - 1; i-- > 0;) {
        std::vector<int> fewer = absent;
        fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i));
        if (!lets_through_without(fewer)) absent = std::move(fewer);
      }
      for (int b : absent) covered[static_cast<std::size_t>(b)] = true;
      clauses.push_back(absent);
      found = true;
    }
  }
  return clauses;
}

rule_prefilter::rule_prefilter(const std::vector<std::vector<atom_clause>>& rules,
                               const std::vector<std::string>& atoms)
    : atom_count_(atoms.size()), always_((rules.size() + 63) / 64) {
  std::vector<std::vector<std::uint32_t>> by_atom(atoms.size());
  clause_begin_.push_back(0);
  atom_begin_.push_back(0);
  for (std::size_t r = 0; r < rules.size(); ++r) {
    const auto& clauses = rules[r];
    const atom_clause* trigger = nullptr;
    if (clauses.empty()) {
      always_[r / 64] |= std::uint64_t{1} << (r % 64);
    } else {
      double least = std::numeric_limits<double>::infinity();
      for (const atom_clause& c : clauses) {
        if (double l = likelihood(c, atoms); l < least) least = l, trigger = &c;
      }
      for (int a : *trigger) by_atom[static_cast<std::size_t>(a)].push_back(static_cast<std::uint32_t>(r));
    }
    // The trigger is kept first, for admits() to skip: it holds on every rule it triggered.
    for (const atom_clause& c : clauses) {
      if (&c != trigger) continue;
      for (int a : c) atoms_.push_back(static_cast<std::uint32_t>(a));
      atom_begin_.push_back(static_cast<std::uint32_t>(atoms_.size()));
    }
    for (const atom_clause& c : clauses) {
      if (&c == trigger) continue;
      for (int a : c) atoms_.push_back(static_cast<std::uint32_t>(a));
      atom_begin_.push_back(static_cast<std::uint32_t>(atoms_.size()));
    }
    clause_begin_.push_back(static_cast<std::uint32_t>(atom_begin_.size() - 1));
  }
  trigger_begin_.push_back(0);
  for (const auto& list : by_atom) {
    triggered_.insert(triggered_.end(), list.begin(), list.end());
    trigger_begin_.push_back(static_cast<std::uint32_t>(triggered_.size()));
  }
}

void rule_prefilter::trigger(std::span<const int> found, std::span<std::uint64_t> candidates) const {
  for (std::size_t w = 0; w < always_.size(); ++w) candidates[w] |= always_[w];
  for (int a : found) {
    const auto atom = static_cast<std::size_t>(a);
    for (std::uint32_t i = trigger_begin_[atom]; i < trigger_begin_[atom + 1]; ++i)
      candidates[triggered_[i] / 64] |= std::uint64_t{1} << (triggered_[i] % 64);
  }
}

bool rule_prefilter::admits(std::size_t rule, std::span<const std::uint64_t> found) const {
  // Its first clause, the trigger, holds: the rule would not be a candidate otherwise.
  for (std::uint32_t c = clause_begin_[rule] + 1; c < clause_begin_[rule + 1]; ++c) {
    bool holds = false;
    for (std::uint32_t i = atom_begin_[c]; i < atom_begin_[c + 1] && !holds; ++i)
      holds = has_bit(found, atoms_[i]);
    if (!holds) return false;
  }
  return true;
}

}  // namespace clicktrail::enrich
