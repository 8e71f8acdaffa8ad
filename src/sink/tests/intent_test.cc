#include "sink/intent.h"

#include <gtest/gtest.h>

namespace clicktrail::sink {
namespace {

TEST(intent, keys_round_trip) {
  const std::vector<std::string> keys{"events/year=2026/a+0+00000000000000000005.jsonl.gz", "bad/x/b+0+00000000000000000009.jsonl.gz"};
  EXPECT_EQ(decode_intent(encode_intent(keys)), keys);
  EXPECT_TRUE(decode_intent("").empty());
}

TEST(intent, file_keys_carry_a_zero_padded_start_offset_and_read_back) {
  const auto key = file_key("events", "year=2026/month=11/day=25/hour=14", "clicktrail.events", 3, 1234, "jsonl.gz");
  EXPECT_EQ(key, "events/year=2026/month=11/day=25/hour=14/clicktrail.events+3+00000000000000001234.jsonl.gz");
  EXPECT_EQ(start_offset_of(key), 1234);
  EXPECT_EQ(start_offset_of("a/b+0+00000000000000000000.parquet"), 0);
  EXPECT_FALSE(start_offset_of("a/b+0+123.parquet"));
  EXPECT_FALSE(start_offset_of("a/b.parquet"));
  EXPECT_EQ(intent_key("clicktrail.events", 7), "_clicktrail/intents/clicktrail.events+7");
}

}  // namespace
}  // namespace clicktrail::sink
