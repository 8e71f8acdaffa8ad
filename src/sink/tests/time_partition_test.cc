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

}  // namespace
}  // namespace clicktrail::sink
