#include "sink/intent.h"

#include <gtest/gtest.h>

namespace clicktrail::sink {
namespace {

TEST(intent, round_trips) {
  const intent i{.generation = 7,
                 .committed = 12345,
                 .writer = "0190ab-cd",
                 .sequence = 3,
                 .files = {"events/year=2026/a+0+00000000000000012345-g7.jsonl.gz",
                           "bad/x/b+0+00000000000000012350-g7.jsonl.gz"}};
  const std::string text = encode_intent(i);
  EXPECT_TRUE(text.starts_with("clicktrail-intent 2\ngeneration 7\ncommitted 12345\n")) << text;
  auto back = decode_intent(text);
  ASSERT_TRUE(back) << back.err().message;
  EXPECT_EQ(*back, i);
  auto none = decode_intent(encode_intent(intent{}));
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, intent{});
}

TEST(intent, version_1_reads_as_generation_0_with_its_files) {
  auto old =
      decode_intent("events/a+0+00000000000000000005.jsonl.gz\nbad/b+0+00000000000000000009.jsonl.gz\n");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->generation, 0);
  EXPECT_EQ(old->committed, 0);
  EXPECT_EQ(old->files, (std::vector<std::string>{"events/a+0+00000000000000000005.jsonl.gz",
                                                  "bad/b+0+00000000000000000009.jsonl.gz"}));
  EXPECT_TRUE(decode_intent("")->files.empty());
}

TEST(intent, damage_is_an_error_naming_the_line) {
  for (const char* text : {"clicktrail-intent 2\ngeneration x\n", "clicktrail-intent 2\ncommitted -4\n",
                           "clicktrail-intent 2\nfile\n", "clicktrail-intent 2\nwho knows\n"}) {
    auto d = decode_intent(text);
    ASSERT_FALSE(d) << text;
    EXPECT_NE(d.err().message.find("line 2"), std::string::npos) << d.err().message;
  }
}

TEST(intent, file_keys_carry_a_zero_padded_start_offset_and_the_generation) {
  const auto key =
      file_key("events", "year=2026/month=11/day=25/hour=14", "clicktrail.events", 3, 1234, 7, "jsonl.gz");
  EXPECT_EQ(key,
            "events/year=2026/month=11/day=25/hour=14/clicktrail.events+3+00000000000000001234-g7.jsonl.gz");
  EXPECT_EQ(start_offset_of(key), 1234);
  EXPECT_EQ(extension_of(key), "jsonl.gz");
  EXPECT_EQ(extension_of("a/b+0+00000000000000000000-g12.parquet"), "parquet");
  // Keys from before generations read too: recovery meets them in old intents.
  EXPECT_EQ(start_offset_of("a/b+0+00000000000000000000.parquet"), 0);
  EXPECT_EQ(extension_of("a/b+0+00000000000000000042.jsonl"), "jsonl");
  EXPECT_FALSE(start_offset_of("a/b+0+123.parquet"));
  EXPECT_FALSE(start_offset_of("a/b.parquet"));
  EXPECT_FALSE(start_offset_of("a/b+0+00000000000000000000-g.parquet"));
  EXPECT_FALSE(start_offset_of("a/b+0+00000000000000000000-g3"));
  EXPECT_EQ(extension_of("a/b.parquet"), "");
  EXPECT_EQ(intent_key("clicktrail.events", 7), "_clicktrail/intents/clicktrail.events+7");
}

}  // namespace
}  // namespace clicktrail::sink
