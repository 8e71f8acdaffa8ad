// The window of recent event ids that drops a resent event.

#include "sink/recent_ids.h"

#include <gtest/gtest.h>

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

TEST(recent_ids, a_window_of_zero_remembers_nothing) {
  recent_ids off(0);
  EXPECT_FALSE(off.repeat(id(1)));
  EXPECT_FALSE(off.repeat(id(1)));
  EXPECT_EQ(off.size(), 0u);
}

}  // namespace
}  // namespace clicktrail::sink
