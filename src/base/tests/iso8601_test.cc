#include "base/iso8601.h"

#include <gtest/gtest.h>

namespace clicktrail::base {
namespace {

// Expected values from Python's datetime.fromisoformat(...).timestamp() * 1000.
TEST(iso8601, utc_offsets_and_fractions) {
  EXPECT_EQ(parse_iso8601_ms("2023-11-14T22:13:20.123Z"), 1'700'000'000'123);  // Date.toISOString()
  EXPECT_EQ(parse_iso8601_ms("2023-11-14T23:13:20.123+01:00"), 1'700'000'000'123);
  EXPECT_EQ(parse_iso8601_ms("2023-11-14T23:13:20.123+0100"), 1'700'000'000'123);
  EXPECT_EQ(parse_iso8601_ms("2023-11-14T23:13:20.123+01"), 1'700'000'000'123);
  EXPECT_EQ(parse_iso8601_ms("2023-11-14T17:43:20.1239999-04:30"), 1'700'000'000'123);  // cut, not rounded
  EXPECT_EQ(parse_iso8601_ms("2023-11-14T22:13:20,5Z"), 1'700'000'000'500);
  EXPECT_EQ(parse_iso8601_ms("2023-11-14 22:13:20z"), 1'700'000'000'000);
  EXPECT_EQ(parse_iso8601_ms("2023-11-14T22:13Z"), 1'699'999'980'000);
  EXPECT_EQ(parse_iso8601_ms("2024-02-29T00:00:00Z"), 1'709'164'800'000);
  EXPECT_EQ(parse_iso8601_ms("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(parse_iso8601_ms("9999-12-31T23:59:59.999Z"), 253'402'300'799'999);
  EXPECT_EQ(parse_iso8601_ms("0000-01-01T00:00:00Z"), -62'167'219'200'000);
}

TEST(iso8601, refuses_everything_else) {
  for (const char* bad : {"",
                          "2023-11-14",
                          "2023-11-14T22:13:20",
                          "2023-11-14T22:13:20.Z",
                          "2023-11-14T22:13:20.1234567890Z",
                          "2023-02-29T00:00:00Z",
                          "2023-13-01T00:00:00Z",
                          "2023-00-01T00:00:00Z",
                          "2023-11-31T00:00:00Z",
                          "2023-11-14T24:00:00Z",
                          "2023-11-14T23:60:00Z",
                          "2023-11-14T23:59:60Z",
                          "2023-11-14T22:13:20+24:00",
                          "2023-11-14T22:13:20+01:60",
                          "2023-11-14T22:13:20+1",
                          "2023-11-14T22:13:20+01:0",
                          "2023-11-14T22:13:20Z ",
                          " 2023-11-14T22:13:20Z",
                          "+12023-11-14T22:13:20Z",
                          "2023-1-14T22:13:20Z",
                          "2023/11/14T22:13:20Z",
                          "1700000000123",
                          "2023-11-14T22:13:20.123ZZ",
                          "2023-11-14T2a:13:20Z"}) {
    EXPECT_FALSE(parse_iso8601_ms(bad)) << bad;
  }
  EXPECT_FALSE(parse_iso8601_ms(std::string(100, '1')));
}

}  // namespace
}  // namespace clicktrail::base
