#pragma once
// Helpers for the consumer tests (the broker's in broker_support.h): a listener that records what
// it is told, producing test records, and draining a consumer into plain values.
//
// Threads: each test owns its consumers on the test thread, as the sink does on its loop thread.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kafka/consumer.h"
#include "kafka/handles.h"
#include "kafka/producer.h"
#include "kafka/tests/broker_support.h"

namespace clicktrail::kafka::testing {

using namespace std::chrono_literals;

// Short session and heartbeat: a test's rebalances take about a second, not the production ten.
inline consumer_options options_for(std::string brokers, std::string group, std::string topic) {
  consumer_options o;
  o.brokers = std::move(brokers);
  o.group_id = std::move(group);
  o.topic = std::move(topic);
  o.extra = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "300"}};
  return o;
}

// Records every call; `owned` is what the listener believes it holds right now.
class recording_listener : public rebalance_listener {
 public:
  std::map<std::int32_t, std::int64_t> on_assigned(
      const std::map<std::int32_t, std::optional<std::int64_t>>& committed) override {
    assigned.push_back(committed);
    for (const auto& [p, offset] : committed) {
      EXPECT_TRUE(owned.insert(p).second) << "partition " << p << " assigned twice without a revoke";
    }
    return start_at;
  }
  void on_revoked(const std::vector<std::int32_t>& partitions) override {
    if (before_revoke) before_revoke(partitions);
    revoked.push_back(partitions);
    for (const std::int32_t p : partitions)
      EXPECT_EQ(owned.erase(p), 1u) << "partition " << p << " not owned";
  }

  std::vector<std::map<std::int32_t, std::optional<std::int64_t>>> assigned;
  std::vector<std::vector<std::int32_t>> revoked;
  std::set<std::int32_t> owned;
  std::function<void(const std::vector<std::int32_t>&)> before_revoke;  // e.g. a last commit
  std::map<std::int32_t, std::int64_t> start_at;  // what on_assigned answers: where to read from
};

struct got_record {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::optional<std::string> value;
  std::int64_t timestamp_ms = 0;
};

inline got_record copy_of(const record& r) {
  got_record g{r.partition(), r.offset(), std::string(r.key()), std::nullopt, r.timestamp_ms()};
  if (const auto v = r.value()) g.value = std::string(*v);
  return g;
}

// Polls until `want` records have arrived (then `settle` longer, to catch extras) or `timeout`.
inline std::vector<got_record> drain(consumer& c, size_t want, std::chrono::milliseconds timeout,
                                     std::chrono::milliseconds settle = 0ms) {
  std::vector<got_record> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    auto batch = c.poll(500, 200ms);
    if (!batch.ok()) {
      ADD_FAILURE() << batch.err().message;
      return out;
    }
    for (const auto& r : *batch) out.push_back(copy_of(*r));
  }
  for (const auto until = std::chrono::steady_clock::now() + settle;
       std::chrono::steady_clock::now() < until;) {
    auto batch = c.poll(500, 100ms);
    if (!batch.ok()) break;
    for (const auto& r : *batch) out.push_back(copy_of(*r));
  }
  return out;
}

inline std::string value_of(size_t i) {
  std::string v = fmt::format("{{\"i\":{}}}", i);
  v.push_back('\0');
  v.push_back(static_cast<char>(0xff));
  return v;
}

// `n` records keyed "visitor-<i>" with value_of(i), through clicktrail's own producer. The broker
// creates the topic on first use with its num.partitions (4).
inline void produce_keyed(const std::string& topic, size_t n, size_t first = 0) {
  base::registry metrics;
  producer_options o;
  o.brokers = bootstrap();
  auto p = producer::create(o, metrics);
  ASSERT_TRUE(p.ok()) << p.err().message;
  std::atomic<size_t> failed = 0;  // counted on the producer's poll thread
  for (size_t i = first; i < first + n; ++i) {
    (*p)->produce(topic, fmt::format("visitor-{}", i), value_of(i), {}, [&failed](const base::status& s) {
      if (!s) ++failed;
    });
  }
  ASSERT_TRUE((*p)->flush(30s).ok());
  ASSERT_EQ(failed.load(), 0u);
}

// One record with a null key and/or a null value (std::nullopt), which clicktrail's producer
// never writes, to `partition` through librdkafka directly.
inline void produce_raw(const std::string& brokers, const std::string& topic, std::int32_t partition,
                        std::optional<std::string> key, std::optional<std::string> value) {
  conf_ptr conf(rd_kafka_conf_new());
  std::array<char, 256> why{};
  ASSERT_EQ(rd_kafka_conf_set(conf.get(), "bootstrap.servers", brokers.c_str(), why.data(), why.size()),
            RD_KAFKA_CONF_OK);
  rd_kafka_conf_set_log_cb(conf.get(), [](const rd_kafka_t*, int, const char*, const char*) {});
  client_ptr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), why.data(), why.size()));
  ASSERT_TRUE(rk) << why.data();
  (void)conf.release();
  // The tagged form without RD_KAFKA_V_* (their C casts trip -Wold-style-cast). A vtype left out
  // is null; RD_KAFKA_MSG_F_COPY makes librdkafka copy, so the const_casts are safe.
  std::array<rd_kafka_vu_t, 5> vus{};
  size_t n = 0;
  vus[n].vtype = RD_KAFKA_VTYPE_TOPIC;
  vus[n++].u.cstr = topic.c_str();
  vus[n].vtype = RD_KAFKA_VTYPE_PARTITION;
  vus[n++].u.i32 = partition;
  vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vus[n++].u.i = RD_KAFKA_MSG_F_COPY;
  if (key) {
    vus[n].vtype = RD_KAFKA_VTYPE_KEY;
    vus[n++].u.mem = {const_cast<char*>(key->data()), key->size()};
  }
  if (value) {
    vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
    vus[n++].u.mem = {const_cast<char*>(value->data()), value->size()};
  }
  const error_ptr refused(rd_kafka_produceva(rk.get(), vus.data(), n));
  ASSERT_FALSE(refused) << rd_kafka_error_string(refused.get());
  ASSERT_EQ(rd_kafka_flush(rk.get(), 30'000), RD_KAFKA_RESP_ERR_NO_ERROR);
}

}  // namespace clicktrail::kafka::testing
