#include "sink/commit_rule.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace clicktrail::sink {
namespace {

TEST(commit_rule, nothing_open_commits_everything_read) {
  EXPECT_EQ(safe_commit_offset({}, {{"a", 0, 9}}, 10), 10);
}

TEST(commit_rule, an_open_file_holds_the_commit_at_its_start) {
  EXPECT_EQ(safe_commit_offset({4}, {{"a", 0, 3}}, 10), 4);
}

TEST(commit_rule, a_closed_file_that_straddles_the_candidate_is_replayed_whole) {
  // Two time partitions interleaved: X holds 5..20 and is complete; Y opened at 12 is open.
  // Committing 12 would keep X and replay 13..20 into a second file: the rule commits 5.
  EXPECT_EQ(safe_commit_offset({12}, {{"x", 5, 20}}, 21), 5);
  // Chains: lowering to one file's start can reveal another straddling file.
  EXPECT_EQ(safe_commit_offset({30}, {{"x", 20, 35}, {"y", 10, 25}}, 40), 10);
}

// A model check: random interleavings of time partitions, rotations and crashes. After each
// crash, recovery deletes the files at or above the committed offset and replays from it; at
// the end every offset must be in exactly one kept file.
TEST(commit_rule, random_runs_with_crashes_keep_every_record_exactly_once) {
  std::mt19937 rng(42);
  for (int run = 0; run < 300; ++run) {
    struct file {
      std::int64_t start, end;
      std::vector<std::int64_t> offsets;
    };
    std::vector<file> kept;         // complete files in the store, committed
    std::vector<file> uncommitted;  // complete files above the committed offset
    std::map<int, file> open;       // by time partition
    std::int64_t committed = 0, next = 0;
    const std::int64_t total = 200;
    auto crash = [&] {
      open.clear();
      std::erase_if(uncommitted, [&](const file& f) { return f.start >= committed; });
      for (auto& f : uncommitted) kept.push_back(f);  // below committed: kept
      uncommitted.clear();
      next = committed;
    };
    auto commit = [&] {
      std::vector<std::int64_t> starts;
      for (auto& [tp, f] : open) starts.push_back(f.start);
      std::vector<closed_file> closed;
      for (auto& f : uncommitted) closed.push_back({"", f.start, f.end});
      const auto c = safe_commit_offset(starts, closed, next);
      ASSERT_GE(c, committed);
      committed = c;
      for (auto it = uncommitted.begin(); it != uncommitted.end();) {
        if (it->start < committed) {
          ASSERT_LT(it->end, committed) << "a kept file holds a record at or above the commit";
          kept.push_back(*it);
          it = uncommitted.erase(it);
        } else {
          ++it;
        }
      }
    };
    while (next < total) {
      const int tp = static_cast<int>(rng() % 3);
      auto& f = open.try_emplace(tp, file{next, next, {}}).first->second;
      f.end = next;
      f.offsets.push_back(next++);
      if (rng() % 7 == 0) {  // rotate a random open file
        auto it = open.begin();
        std::advance(it, static_cast<long>(rng() % open.size()));
        uncommitted.push_back(it->second);
        open.erase(it);
      }
      if (rng() % 5 == 0) commit();
      if (rng() % 40 == 0) crash();
    }
    for (auto& [tp, f] : open) uncommitted.push_back(f);
    open.clear();
    commit();
    ASSERT_EQ(committed, total);
    std::multiset<std::int64_t> seen;
    for (auto& f : kept) seen.insert(f.offsets.begin(), f.offsets.end());
    for (auto& f : uncommitted) seen.insert(f.offsets.begin(), f.offsets.end());
    ASSERT_EQ(seen.size(), static_cast<std::size_t>(total)) << "run " << run;
    for (std::int64_t o = 0; o < total; ++o) ASSERT_EQ(seen.count(o), 1u) << "offset " << o << " run " << run;
  }
}

}  // namespace
}  // namespace clicktrail::sink
