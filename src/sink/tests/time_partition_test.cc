#include "sink/time_partition.h"

#include <gtest/gtest.h>

namespace clicktrail::sink {
namespace {

TEST(time_partition, fills_the_layout_in_utc) {
  // 2026-11-25T14:30:00.123Z
  EXPECT_EQ(time_partition("year=%Y/month=%m/day=%d/hour=%H", 1'795'617'000'123),
            "year=2026/month=11/day=25/hour=14");
  EXPECT_EQ(time_partition("dt=%Y-%m-%d", 0), "dt=1970-01-01");
  EXPECT_EQ(time_partition("y=%Y/h=%H", 1'795'651'199'999), "y=2026/h=23");  // last ms of the day
  EXPECT_EQ(time_partition("y=%Y", -5), "y=1970");                           // clamped
}

TEST(time_partition, a_partitioner_gives_what_time_partition_gives_across_hours) {
  time_partitioner p("year=%Y/month=%m/day=%d/hour=%H");
  // Back and forth across an hour's and a day's edge, and before 1970 (clamped into hour 0).
  for (const std::int64_t t :
       {1'795'647'599'999LL, 1'795'647'600'000LL, 1'795'647'599'000LL, 1'795'651'199'999LL,
        1'795'651'200'000LL, -1LL, 0LL, 3'599'999LL, 3'600'000LL, 253'402'300'800'000LL}) {
    EXPECT_EQ(p.of(t), time_partition(p.layout(), t)) << t;
  }
}

}  // namespace
}  // namespace clicktrail::sink
