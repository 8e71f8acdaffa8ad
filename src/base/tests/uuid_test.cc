#include "base/uuid.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace clicktrail::base {
namespace {

TEST(uuid, v7_has_version_variant_and_timestamp) {
  const unix_ms now = 1'764'000'000'123;
  const uuid id = make_uuid_v7(now);
  EXPECT_EQ(id.version(), 7);
  EXPECT_EQ(id.bytes[8] >> 6, 0b10);
  EXPECT_GE(id.v7_time(), now);
  const std::string text = id.to_string();
  ASSERT_EQ(text.size(), 36u);
  EXPECT_EQ(text[14], '7');
  EXPECT_EQ(text.substr(0, 13), "019ab697-e87b");  // 1764000000123 ms in hex
}

TEST(uuid, ids_from_one_thread_strictly_increase_within_a_millisecond) {
  const unix_ms now = 1'764'000'000'000;
  uuid previous = make_uuid_v7(now);
  for (int i = 0; i < 10000; ++i) {  // far more than fit in one millisecond's counter
    const uuid next = make_uuid_v7(now);
    ASSERT_LT(previous, next) << "at " << i;
    previous = next;
  }
}

TEST(uuid, ids_from_many_threads_are_unique) {
  std::vector<std::vector<uuid>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& out : per_thread) {
    threads.emplace_back([&out] {
      for (int i = 0; i < 20000; ++i) out.push_back(make_uuid_v7());
    });
  }
  for (auto& t : threads) t.join();
  std::set<uuid> all;
  for (const auto& out : per_thread) all.insert(out.begin(), out.end());
  EXPECT_EQ(all.size(), 80000u);
}

TEST(uuid, parse_round_trips_and_rejects_malformed_text) {
  const uuid id = make_uuid_v7();
  EXPECT_EQ(parse_uuid(id.to_string()), id);
  EXPECT_TRUE(parse_uuid("0189ABCD-ef01-7abc-8def-0123456789AB").has_value());
  EXPECT_FALSE(parse_uuid("").has_value());
  EXPECT_FALSE(parse_uuid("0189abcd-ef01-7abc-8def-0123456789a").has_value());
  EXPECT_FALSE(parse_uuid("0189abcd_ef01-7abc-8def-0123456789ab").has_value());
  EXPECT_FALSE(parse_uuid("0189abcd-ef01-7abc-8def-0123456789ag").has_value());
  EXPECT_FALSE(parse_uuid("{189abcd-ef01-7abc-8def-0123456789ab}").has_value());
}

}  // namespace
}  // namespace clicktrail::base
