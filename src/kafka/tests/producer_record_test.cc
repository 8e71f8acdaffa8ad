// What a record carries to the broker of `./dev services start` (KAFKA_BOOTSTRAP), read back by a
// consumer: its key, value and headers exactly once, the partition its key chooses, its time.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "kafka/producer.h"
#include "kafka/tests/producer_support.h"
#include "kafka/tests/test_consumer.h"

namespace clicktrail::kafka {
namespace {

using namespace std::chrono_literals;
using namespace testing;  // the helpers of producer_support.h

TEST(producer_test, delivers_keyed_records_with_headers_exactly_once) {
  REQUIRE_BROKER();
  base::registry metrics;
  auto p = make(metrics, options_for(bootstrap()));
  ASSERT_TRUE(p);
  const std::string topic = fresh_name("exact");
  constexpr size_t n = 10'000;
  deliveries got(n);
  for (size_t i = 0; i < n; ++i) {
    p->produce(topic, fmt::format("visitor-{}", i), awkward_value(i),
               {{"ct-schema", "1"}, {"ct-index", std::to_string(i)}, {"ct-binary", std::string("\0\x01", 2)}},
               got.for_record(i));
  }
  ASSERT_TRUE(p->flush(30s).ok());
  ASSERT_TRUE(got.wait_all(1s));
  got.expect_each_once();
  EXPECT_EQ(p->queued(), 0);
  EXPECT_EQ(metrics.add_counter("clicktrail_kafka_produced_records_total", "", {{"outcome", "ok"}}).value(),
            n);
  EXPECT_NE(metrics.expose().find("clicktrail_kafka_produce_latency_seconds_count 10000"), std::string::npos);

  const auto back = testing::consume(bootstrap(), topic, n, 30s);
  ASSERT_EQ(back.size(), n);
  std::map<std::string, const testing::consumed*> by_key;
  for (const auto& c : back) by_key.emplace(c.key, &c);
  ASSERT_EQ(by_key.size(), n) << "a key arrived twice";
  for (size_t i = 0; i < n; ++i) {
    const auto it = by_key.find(fmt::format("visitor-{}", i));
    ASSERT_NE(it, by_key.end()) << "record " << i << " is missing";
    EXPECT_EQ(it->second->value, awkward_value(i));
    const std::vector<std::pair<std::string, std::string>> want = {
        {"ct-schema", "1"}, {"ct-index", std::to_string(i)}, {"ct-binary", std::string("\0\x01", 2)}};
    EXPECT_EQ(it->second->headers, want);
  }
}

// The partitions Kafka's Java producer picks for these keys in a topic of 4 partitions (what
// the test broker creates): Utils.toPositive(Utils.murmur2(key)) % 4, from kafka-clients 3.9.1.
TEST(kafka_producer, a_key_lands_on_the_partition_a_java_producer_would_choose) {
  REQUIRE_BROKER();
  base::registry metrics;
  auto p = make(metrics, options_for(bootstrap()));
  ASSERT_TRUE(p);
  const std::string topic = fresh_name("partitioner");
  const std::map<std::string, std::int32_t> java = {
      {"visitor-0", 0}, {"visitor-1", 2}, {"visitor-2", 3},
      {"visitor-3", 3}, {"visitor-4", 1}, {"visitor-5", 1},
      {"visitor-6", 0}, {"visitor-7", 2}, {"0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b", 3},
  };
  std::vector<outgoing> records;
  for (const auto& [key, partition] : java) records.push_back({key, "v"});
  deliveries got(1);
  p->produce(topic, records, {}, got.for_record(0));
  ASSERT_TRUE(got.wait_all(30s));
  got.expect_each_once();
  const auto back = testing::consume(bootstrap(), topic, java.size(), 30s);
  ASSERT_EQ(back.size(), java.size());
  std::set<std::int32_t> used;
  for (const auto& c : back) {
    EXPECT_EQ(c.partition, java.at(c.key)) << "key " << c.key;
    used.insert(c.partition);
  }
  ASSERT_EQ(used.size(), 4u) << "the topic should have 4 partitions (tools/kafka/kafka.sh's num.partitions)";
}

TEST(kafka_producer, a_record_keeps_the_time_it_is_given_and_otherwise_gets_the_producers) {
  REQUIRE_BROKER();
  base::registry metrics;
  auto p = make(metrics, options_for(bootstrap()));
  ASSERT_TRUE(p);
  const std::string topic = fresh_name("timestamps");
  constexpr std::int64_t given = 1'700'000'000'123;
  const std::vector<outgoing> records{{"k", "given", given}, {"k", "clock"}};
  deliveries got(1);
  const std::int64_t before = base::now_unix_ms();
  p->produce(topic, records, {}, got.for_record(0));
  ASSERT_TRUE(got.wait_all(30s));
  const auto back = testing::consume(bootstrap(), topic, 2, 30s);
  ASSERT_EQ(back.size(), 2u);
  for (const auto& c : back) {
    if (c.value == "given") {
      EXPECT_EQ(c.timestamp_ms, given);
    } else {
      EXPECT_GE(c.timestamp_ms, before);
      EXPECT_LE(c.timestamp_ms, base::now_unix_ms());
    }
  }
}

}  // namespace
}  // namespace clicktrail::kafka
