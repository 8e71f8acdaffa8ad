// The producer against the real broker of `./dev services start` (KAFKA_BOOTSTRAP), and against
// a loopback port with nothing listening for the unreachable cases.
#include "kafka/producer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "base/clock.h"
#include "kafka/tests/mock_cluster.h"
#include "kafka/tests/producer_support.h"
#include "kafka/tests/test_consumer.h"

namespace clicktrail::kafka {
namespace {

using namespace std::chrono_literals;
using namespace testing;  // the helpers of producer_support.h
using clock = std::chrono::steady_clock;

TEST(producer_test, a_batch_of_records_has_one_callback_after_the_last_of_them) {
  REQUIRE_BROKER();
  base::registry metrics;
  auto p = make(metrics, options_for(bootstrap()));
  ASSERT_TRUE(p);
  const std::string topic = fresh_name("batch");
  constexpr size_t n = 500;
  std::vector<std::string> keys, values;
  for (size_t i = 0; i < n; ++i) {
    keys.push_back(fmt::format("visitor-{}", i % 7));
    values.push_back(awkward_value(i));
  }
  std::vector<outgoing> records;
  for (size_t i = 0; i < n; ++i) records.push_back({keys[i], values[i]});
  deliveries got(1);
  p->produce(topic, records, {{"ct-schema", "1"}}, got.for_record(0));
  ASSERT_TRUE(got.wait_all(30s));
  got.expect_each_once();
  // The callback runs before the records leave the count, which flush() waits for.
  ASSERT_TRUE(p->flush(5s).ok());
  EXPECT_EQ(p->queued(), 0);
  EXPECT_EQ(metrics.add_counter("clicktrail_kafka_produced_records_total", "", {{"outcome", "ok"}}).value(),
            n);
  // One latency per call: from produce() to its last record's report.
  EXPECT_NE(metrics.expose().find("clicktrail_kafka_produce_latency_seconds_count 1\n"), std::string::npos);
  const auto back = testing::consume(bootstrap(), topic, n, 30s);
  ASSERT_EQ(back.size(), n);
  std::multiset<std::string> sent(values.begin(), values.end()), read;
  for (const auto& c : back) read.insert(c.value);
  EXPECT_EQ(read, sent);
}

TEST(producer_test, a_batch_that_cannot_be_delivered_has_one_callback_with_retry) {
  base::registry metrics;
  auto p = make(metrics, options_for(unreachable_address(), 1s));
  ASSERT_TRUE(p);
  const std::vector<outgoing> records(50, outgoing{"k", "v"});
  deliveries got(1);
  p->produce("clicktrail.events", records, {}, got.for_record(0));
  ASSERT_TRUE(got.wait_all(10s));
  got.expect_each_once(base::outcome::retry);
  EXPECT_EQ(
      metrics.add_counter("clicktrail_kafka_produced_records_total", "", {{"outcome", "retry"}}).value(),
      50u);
}

// An event loop's view of the producer: its descriptor polled, its reports served when readable.
bool serve_until(producer& p, deliveries& got, std::chrono::milliseconds timeout) {
  for (const auto deadline = clock::now() + timeout; clock::now() < deadline;) {
    pollfd fd{p.report_descriptor(), POLLIN, 0};
    if (::poll(&fd, 1, 100) > 0) p.serve_reports();
    if (got.wait_all(0ms)) return true;
  }
  return false;
}

TEST(producer_test, an_event_loop_serves_the_reports_when_its_descriptor_says) {
  REQUIRE_BROKER();
  base::registry metrics;
  auto o = options_for(bootstrap());
  o.reports_on_event_loop = true;
  auto p = make(metrics, o);
  ASSERT_TRUE(p);
  ASSERT_GE(p->report_descriptor(), 0);
  const std::string topic = fresh_name("event-loop");
  constexpr size_t n = 2'000;
  deliveries got(n);
  for (size_t i = 0; i < n; ++i)
    p->produce(topic, std::to_string(i), awkward_value(i), {}, got.for_record(i));
  // Nobody serves them yet: no callback runs by itself.
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(got.wait_all(0ms));
  ASSERT_TRUE(serve_until(*p, got, 30s));
  got.expect_each_once();

  // flush() serves what is left itself, for a loop that has stopped; so does the destructor.
  deliveries more(n);
  for (size_t i = 0; i < n; ++i)
    p->produce(topic, std::to_string(i), awkward_value(i), {}, more.for_record(i));
  ASSERT_TRUE(p->flush(30s).ok());
  ASSERT_TRUE(more.wait_all(0ms));
  more.expect_each_once();
  deliveries last(n);
  for (size_t i = 0; i < n; ++i)
    p->produce(topic, std::to_string(i), awkward_value(i), {}, last.for_record(i));
  p.reset();
  ASSERT_TRUE(last.wait_all(0ms)) << "the destructor returned before every callback ran";
  last.expect_each_once();
  EXPECT_EQ(testing::consume(bootstrap(), topic, 3 * n, 30s).size(), 3 * n);
}

TEST(producer_test, unknown_property_fails_create_naming_it) {
  base::registry metrics;
  auto o = options_for("127.0.0.1:1");
  o.extra = {{"foo.bar", "1"}};
  auto p = producer::create(o, metrics);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.err().what, base::outcome::fail);
  EXPECT_NE(p.err().message.find("\"foo.bar\""), std::string::npos) << p.err().message;
  EXPECT_NE(p.err().message.find("CONFIGURATION.md"), std::string::npos) << p.err().message;
}

TEST(producer_test, settings_that_break_the_2xx_promise_are_refused_naming_them) {
  base::registry metrics;
  for (const auto& [name, value, named] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"acks", "1", "acks"},
           {"acks", "0", "acks"},
           {"request.required.acks", "1", "acks"},  // an alias
           {"enable.idempotence", "false", "enable.idempotence"}}) {
    auto o = options_for("127.0.0.1:1");
    o.extra = {{name, value}};
    auto p = producer::create(o, metrics);
    ASSERT_FALSE(p.ok()) << name << "=" << value;
    EXPECT_EQ(p.err().what, base::outcome::fail);
    EXPECT_NE(p.err().message.find("\"" + named + "\""), std::string::npos) << p.err().message;
    EXPECT_NE(p.err().message.find("[kafka.producer]"), std::string::npos) << p.err().message;
  }
  // Saying what clicktrail sets anyway is fine.
  for (const auto& [name, value] :
       property_list{{"acks", "all"}, {"acks", "-1"}, {"enable.idempotence", "true"}}) {
    auto o = options_for("127.0.0.1:1");
    o.extra = {{name, value}};
    EXPECT_TRUE(producer::create(o, metrics).ok()) << name << "=" << value;
  }
}

TEST(producer_test, bad_value_for_own_option_fails_create) {
  base::registry metrics;
  auto o = options_for("127.0.0.1:1");
  o.compression = "brotli";
  auto p = producer::create(o, metrics);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.err().message.find("compression.codec"), std::string::npos) << p.err().message;
}

TEST(producer_test, unreachable_broker_answers_retry_within_delivery_timeout) {
  base::registry metrics;
  auto p = make(metrics, options_for(unreachable_address(), 1s));
  ASSERT_TRUE(p);
  constexpr size_t n = 100;
  deliveries got(n);
  const auto start = clock::now();
  for (size_t i = 0; i < n; ++i) p->produce("clicktrail.events", "k", "v", {}, got.for_record(i));
  EXPECT_GT(p->queued(), 0);
  EXPECT_EQ(p->flush(100ms).err().what, base::outcome::retry);
  // librdkafka scans for timed-out records once a second: allow that much on top.
  ASSERT_TRUE(got.wait_all(2500ms));
  EXPECT_LT(clock::now() - start, 2500ms);
  got.expect_each_once(base::outcome::retry);
  EXPECT_NE(got.result(0).err().message.find("clicktrail.events"), std::string::npos)
      << got.result(0).err().message;
  EXPECT_FALSE(p->reachable(300ms));
  EXPECT_EQ(
      metrics.add_counter("clicktrail_kafka_produced_records_total", "", {{"outcome", "retry"}}).value(), n);
}

TEST(producer_test, reachable_with_a_running_broker) {
  REQUIRE_BROKER();
  base::registry metrics;
  auto p = make(metrics, options_for(bootstrap()));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->reachable(5s));
}

TEST(producer_test, destruction_with_records_in_flight_calls_every_callback_once) {
  REQUIRE_BROKER();
  base::registry metrics;
  constexpr size_t n = 50'000;
  deliveries got(n);
  {
    auto p = make(metrics, options_for(bootstrap()));
    ASSERT_TRUE(p);
    const std::string topic = fresh_name("destroy");
    for (size_t i = 0; i < n; ++i)
      p->produce(topic, std::to_string(i), awkward_value(i), {}, got.for_record(i));
  }
  ASSERT_TRUE(got.wait_all(0ms)) << "the destructor returned before every callback ran";
  got.expect_each_once();  // the destructor's flush delivered them all
}

TEST(producer_test, destruction_when_undeliverable_fails_every_record_with_retry) {
  base::registry metrics;
  constexpr size_t n = 1'000;
  deliveries got(n);
  const auto start = clock::now();
  {
    auto p = make(metrics, options_for(unreachable_address(), 1s));
    ASSERT_TRUE(p);
    for (size_t i = 0; i < n; ++i) p->produce("clicktrail.events", "k", "v", {}, got.for_record(i));
  }
  ASSERT_TRUE(got.wait_all(0ms)) << "the destructor returned before every callback ran";
  got.expect_each_once(base::outcome::retry);
  EXPECT_LT(clock::now() - start, 5s);
}

TEST(producer_test, concurrent_producers_from_four_threads) {
  REQUIRE_BROKER();
  base::registry metrics;
  auto p = make(metrics, options_for(bootstrap()));
  ASSERT_TRUE(p);
  const std::string topic = fresh_name("threads");
  constexpr size_t threads = 4, each = 5'000;
  deliveries got(threads * each);
  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (size_t i = t * each; i < (t + 1) * each; ++i) {
        p->produce(topic, std::to_string(i), awkward_value(i), {{"ct-schema", "1"}}, got.for_record(i));
      }
    });
  }
  for (auto& w : workers) w.join();
  ASSERT_TRUE(p->flush(30s).ok());
  ASSERT_TRUE(got.wait_all(1s));
  got.expect_each_once();
  const auto back = testing::consume(bootstrap(), topic, threads * each, 30s);
  std::map<std::string, std::string> by_key;
  for (const auto& c : back) by_key.emplace(c.key, c.value);
  ASSERT_EQ(back.size(), threads * each);
  ASSERT_EQ(by_key.size(), threads * each);
  for (size_t i = 0; i < threads * each; ++i) EXPECT_EQ(by_key[std::to_string(i)], awkward_value(i));
}

TEST(producer_test, oversized_record_fails_before_produce_returns) {
  base::registry metrics;
  auto p = make(metrics, options_for(unreachable_address()));
  ASSERT_TRUE(p);
  bool called = false;
  base::status got;
  p->produce("clicktrail.events", "k", std::string(2'000'000, 'x'), {}, [&](base::status s) {
    called = true;
    got = std::move(s);
  });
  ASSERT_TRUE(called);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.err().what, base::outcome::fail);
  EXPECT_NE(got.err().message.find("message.max.bytes"), std::string::npos) << got.err().message;
}

std::future<base::status> produce_one(producer& p) {
  auto done = std::make_shared<std::promise<base::status>>();
  p.produce("events", "k", "v", {}, [done](base::status s) { done->set_value(std::move(s)); });
  return done->get_future();
}

TEST(producer_test, broker_down_answers_retry_and_the_same_producer_recovers) {
  const testing::mock_cluster cluster;
  ASSERT_TRUE(cluster.get());
  base::registry metrics;
  auto p = make(metrics, options_for(cluster.bootstrap(), 1s));
  ASSERT_TRUE(p);
  ASSERT_TRUE(produce_one(*p).get().ok());

  rd_kafka_mock_broker_set_down(cluster.get(), 1);
  const base::status down = produce_one(*p).get();
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.err().what, base::outcome::retry) << down.err().message;
  EXPECT_FALSE(p->reachable(300ms));

  rd_kafka_mock_broker_set_up(cluster.get(), 1);
  // The producer finds the broker again by itself (librdkafka's reconnect backoff, which under
  // TSan can outlast the 1 s delivery timeout of a record sent at once), and then delivers.
  EXPECT_TRUE(p->reachable(10s));
  const base::status up = produce_one(*p).get();
  EXPECT_TRUE(up.ok()) << up.err().message;
}

TEST(producer_test, fatal_error_fails_fast_and_says_restart) {
  const testing::mock_cluster cluster;
  ASSERT_TRUE(cluster.get());
  base::registry metrics;
  auto p = make(metrics, options_for(cluster.bootstrap()));
  ASSERT_TRUE(p);
  ASSERT_TRUE(produce_one(*p).get().ok());
  EXPECT_TRUE(p->reachable(5s));

  // A sequence gap on the next Produce is unrecoverable for an idempotent producer.
  rd_kafka_mock_push_request_errors(cluster.get(), 0 /* Produce */, 1,
                                    RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
  const base::status broken = produce_one(*p).get();
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.err().what, base::outcome::fail);
  EXPECT_NE(broken.err().message.find("restart"), std::string::npos) << broken.err().message;

  auto after = produce_one(*p);
  ASSERT_EQ(after.wait_for(0s), std::future_status::ready)
      << "produce() after a fatal error must answer at once";
  const base::status refused = after.get();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.err().what, base::outcome::fail);
  EXPECT_NE(refused.err().message.find("restart"), std::string::npos) << refused.err().message;
  EXPECT_FALSE(p->reachable(1s));
  p.reset();
}

}  // namespace
}  // namespace clicktrail::kafka
