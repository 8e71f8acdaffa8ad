#include "config/units.h"

#include <gtest/gtest.h>

namespace clicktrail::config {
namespace {

TEST(units, sizes) {
  EXPECT_EQ(parse_size("0"), 0);
  EXPECT_EQ(parse_size("1048576"), 1048576);
  EXPECT_EQ(parse_size("512KiB"), 512 * 1024);
  EXPECT_EQ(parse_size("128MiB"), 128LL << 20);
  EXPECT_EQ(parse_size("5GiB"), 5LL << 30);
  EXPECT_EQ(parse_size("10MB"), 10'000'000);
  EXPECT_EQ(parse_size("2kB"), 2000);
  EXPECT_EQ(parse_size("7B"), 7);
  EXPECT_FALSE(parse_size(""));
  EXPECT_FALSE(parse_size("MiB"));
  EXPECT_FALSE(parse_size("1.5MiB"));
  EXPECT_FALSE(parse_size("-1"));
  EXPECT_FALSE(parse_size("12 MiB"));
  EXPECT_FALSE(parse_size("1mib"));
  EXPECT_FALSE(parse_size("99999999999999GiB"));  // overflows int64
}

TEST(units, durations) {
  EXPECT_EQ(parse_duration_ms("250ms"), 250);
  EXPECT_EQ(parse_duration_ms("30s"), 30'000);
  EXPECT_EQ(parse_duration_ms("5m"), 300'000);
  EXPECT_EQ(parse_duration_ms("1h"), 3'600'000);
  EXPECT_EQ(parse_duration_ms("365d"), 365LL * 86'400'000);
  EXPECT_EQ(parse_duration_ms("1h30m"), 5'400'000);
  EXPECT_EQ(parse_duration_ms("1m500ms"), 60'500);
  EXPECT_FALSE(parse_duration_ms("300"));  // a unit is required
  EXPECT_FALSE(parse_duration_ms(""));
  EXPECT_FALSE(parse_duration_ms("5 m"));
  EXPECT_FALSE(parse_duration_ms("5min"));
  EXPECT_FALSE(parse_duration_ms("99999999999999999h"));
}

TEST(units, formatting_round_trips) {
  EXPECT_EQ(format_size(128LL << 20), "128MiB");
  EXPECT_EQ(format_size(64 * 1024), "64KiB");
  EXPECT_EQ(format_size(1000), "1000");
  EXPECT_EQ(format_duration_ms(300'000), "5m");
  EXPECT_EQ(format_duration_ms(86'400'000), "1d");
  EXPECT_EQ(format_duration_ms(90'000'000), "25h");
  EXPECT_EQ(format_duration_ms(1500), "1500ms");
  for (std::int64_t ms : {1LL, 999LL, 1000LL, 61'000LL, 3'600'000LL}) {
    EXPECT_EQ(parse_duration_ms(format_duration_ms(ms)), ms);
  }
}

}  // namespace
}  // namespace clicktrail::config
