// The window of recent event ids that drops a resent event.

#include "sink/recent_ids.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <random>

namespace clicktrail::sink {
namespace {

base::uuid id(std::uint8_t n, std::uint8_t high = 0) {
  base::uuid u;
  u.bytes[0] = high;
  u.bytes[15] = n;
  return u;
}

TEST(recent_ids, an_id_met_again_within_the_window_is_a_repeat) {
  recent_ids recent(3);
  EXPECT_FALSE(recent.repeat(id(1)));
  EXPECT_FALSE(recent.repeat(id(2)));
  EXPECT_TRUE(recent.repeat(id(1)));
  EXPECT_TRUE(recent.repeat(id(2)));
  EXPECT_FALSE(recent.repeat(id(1, 1)));  // every byte counts
  EXPECT_EQ(recent.size(), 3u);
}

TEST(recent_ids, past_the_window_the_oldest_id_is_forgotten_and_memory_stays_bounded) {
  recent_ids recent(3);
  for (std::uint8_t n = 1; n <= 4; ++n) EXPECT_FALSE(recent.repeat(id(n)));
  EXPECT_EQ(recent.size(), 3u);
  EXPECT_FALSE(recent.repeat(id(1)));  // forgotten: 2, 3, 4 were the last three; now 3, 4, 1
  EXPECT_TRUE(recent.repeat(id(4)));
  EXPECT_FALSE(recent.repeat(id(2)));
  for (std::uint8_t n = 0; n < 200; ++n) recent.repeat(id(n, 7));
  EXPECT_EQ(recent.size(), 3u);
}

// Against a plain model (the last N ids in a deque), over many ids whose table slots collide:
// deletion by backward shift must never lose an id still in the window, nor keep one past it.
// Each id is prefetched first, as the sink does, in every state of the window (under ASan, a
// prefetch of a slot past the table would be caught).
TEST(recent_ids, agrees_with_a_model_of_the_window_through_many_evictions) {
  for (const std::size_t window : {1u, 2u, 7u, 64u, 1000u}) {
    recent_ids recent(window);
    std::deque<base::uuid> model;
    std::mt19937_64 rng(window);
    for (int i = 0; i < 20'000; ++i) {
      // Draw from a pool a little larger than the window: repeats in and just out of it.
      const auto n = static_cast<std::uint32_t>(rng() % (window * 2 + 3));
      base::uuid u;
      std::memcpy(u.bytes.data(), &n, sizeof n);
      const bool in_model = std::find(model.begin(), model.end(), u) != model.end();
      recent.prefetch(u);
      ASSERT_EQ(recent.repeat(u), in_model) << "window " << window << ", step " << i;
      if (!in_model) {
        model.push_back(u);
        if (model.size() > window) model.pop_front();
      }
      ASSERT_EQ(recent.size(), model.size());
    }
  }
}

TEST(recent_ids, a_window_of_zero_remembers_nothing) {
  recent_ids off(0);
  off.prefetch(id(1));  // nothing to load, and nothing to fault on
  EXPECT_FALSE(off.repeat(id(1)));
  EXPECT_FALSE(off.repeat(id(1)));
  EXPECT_EQ(off.size(), 0u);
}

}  // namespace
}  // namespace clicktrail::sink
