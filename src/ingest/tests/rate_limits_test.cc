// Token buckets by key, in bounded memory.

#include "ingest/rate_limits.h"

#include <gtest/gtest.h>

#include <string>

namespace clicktrail::ingest {
namespace {

using namespace std::chrono_literals;
using clock = token_buckets::clock;

TEST(token_buckets, a_burst_then_the_rate_and_the_wait_until_the_next_token) {
  token_buckets buckets(10, 30);
  const auto t0 = clock::time_point{} + 1h;
  for (int i = 0; i < 30; ++i) EXPECT_EQ(buckets.take("10.0.0.1", t0), std::nullopt) << i;
  const auto wait = buckets.take("10.0.0.1", t0);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 100ms);  // one token every 100 ms
  // Another key has a bucket of its own.
  EXPECT_EQ(buckets.take("10.0.0.2", t0), std::nullopt);
  // A second later, ten more.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(buckets.take("10.0.0.1", t0 + 1s), std::nullopt) << i;
  EXPECT_TRUE(buckets.take("10.0.0.1", t0 + 1s));
  // Idle for long, full again, never more than the burst.
  for (int i = 0; i < 30; ++i) EXPECT_EQ(buckets.take("10.0.0.1", t0 + 1h), std::nullopt) << i;
  EXPECT_TRUE(buckets.take("10.0.0.1", t0 + 1h));
}

TEST(token_buckets, zero_is_no_limit_and_many_keys_stay_in_a_fixed_table) {
  token_buckets none(0, 0);
  for (int i = 0; i < 100'000; ++i) ASSERT_EQ(none.take("k"), std::nullopt);
  token_buckets small(1, 1, 8);  // eight slots for a thousand keys: each is still limited
  const auto t0 = clock::time_point{} + 1h;
  int allowed = 0;
  for (int i = 0; i < 1000; ++i) allowed += small.take("client-" + std::to_string(i), t0) ? 0 : 1;
  EXPECT_LE(allowed, 8);
}

}  // namespace
}  // namespace clicktrail::ingest
