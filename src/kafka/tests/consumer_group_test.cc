// The group consumer with two members against the real broker, and broker loss against
// librdkafka's mock cluster.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <utility>

#include "kafka/consumer.h"
#include "kafka/tests/consumer_support.h"
#include "kafka/tests/mock_cluster.h"

namespace clicktrail::kafka {
namespace {

using namespace testing;
using clock = std::chrono::steady_clock;

// One member driven the way the sink drives it: poll a batch, then commit, per partition, the
// offset after its last record. A batch whose commit fails is not counted: the sink would drop
// that work, and the partition's next owner reads it again from the committed offset.
struct member {
  recording_listener listener;
  std::unique_ptr<consumer> c;
  std::map<std::int32_t, std::int64_t> records_after_split;  // per partition, counted by the test

  // Polls once; adds what was consumed and committed to `seen`, checking that every record
  // belongs to a partition the listener owns right now.
  void step(std::map<std::pair<std::int32_t, std::int64_t>, int>& seen) {
    // Small batches: with read-ahead, the member holds records read ahead when the group moves.
    auto batch = c->poll(50, 100ms);
    ASSERT_TRUE(batch.ok()) << batch.err().message;
    std::map<std::int32_t, std::vector<std::int64_t>> offsets;
    for (const auto& r : *batch) {
      ASSERT_TRUE(listener.owned.contains(r->partition()))
          << "record from partition " << r->partition() << " which this member does not own";
      offsets[r->partition()].push_back(r->offset());
    }
    for (const auto& [p, list] : offsets) {
      if (!c->commit(p, list.back() + 1).ok()) continue;
      for (const std::int64_t o : list) ++seen[{p, o}];
      records_after_split[p] += static_cast<std::int64_t>(list.size());
    }
  }
};

std::unique_ptr<member> join(const std::string& group, const std::string& topic, base::registry& metrics,
                             std::int64_t read_ahead_bytes = 0) {
  auto m = std::make_unique<member>();
  auto o = options_for(bootstrap(), group, topic);
  o.read_ahead_bytes = read_ahead_bytes;
  auto c = consumer::create(o, m->listener, metrics);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.err().message);
  if (c.ok()) m->c = std::move(c).value();
  return m;
}

bool disjoint(const std::set<std::int32_t>& a, const std::set<std::int32_t>& b) {
  return std::none_of(a.begin(), a.end(), [&](std::int32_t p) { return b.contains(p); });
}

// Every offset below each partition's end seen exactly once.
void expect_exactly_once(const std::map<std::pair<std::int32_t, std::int64_t>, int>& seen,
                         const std::map<std::int32_t, std::int64_t>& ends) {
  size_t want = 0;
  for (const auto& [p, end] : ends) {
    want += static_cast<size_t>(end);
    for (std::int64_t o = 0; o < end; ++o) {
      const auto it = seen.find({p, o});
      ASSERT_NE(it, seen.end()) << "partition " << p << " offset " << o << " never consumed";
      ASSERT_EQ(it->second, 1) << "partition " << p << " offset " << o << " consumed twice";
    }
  }
  EXPECT_EQ(seen.size(), want);
}

// Without read-ahead, and with it: records a member read ahead of a rebalance are never handed
// out after it.
class consumer_group_split : public ::testing::TestWithParam<std::int64_t> {};
INSTANTIATE_TEST_SUITE_P(read_ahead, consumer_group_split, ::testing::Values(0, 32 << 20),
                         [](const auto& param) { return param.param == 0 ? "none" : "32MiB"; });

TEST_P(consumer_group_split, two_members_split_the_partitions_and_the_survivor_takes_over) {
  REQUIRE_BROKER();
  const std::string topic = fresh_name("split");
  const std::string group = fresh_name("group");
  produce_keyed(topic, 400);
  base::registry metrics;
  std::map<std::pair<std::int32_t, std::int64_t>, int> seen;

  auto a = join(group, topic, metrics, GetParam());
  ASSERT_TRUE(a->c);
  for (const auto deadline = clock::now() + 30s; a->listener.owned.size() < 4 && clock::now() < deadline;) {
    a->step(seen);
  }
  ASSERT_EQ(a->listener.owned.size(), 4u);

  // B joins: A must give everything up before either gets its share (eager protocol).
  auto b = join(group, topic, metrics, GetParam());
  ASSERT_TRUE(b->c);
  for (const auto deadline = clock::now() + 30s;
       !(a->listener.owned.size() == 2 && b->listener.owned.size() == 2) && clock::now() < deadline;) {
    a->step(seen);
    b->step(seen);
    ASSERT_TRUE(disjoint(a->listener.owned, b->listener.owned)) << "a partition owned by both members";
  }
  ASSERT_EQ(a->listener.owned.size(), 2u);
  ASSERT_EQ(b->listener.owned.size(), 2u);
  ASSERT_GE(a->listener.revoked.size(), 1u);
  EXPECT_EQ(a->listener.revoked[0], (std::vector<std::int32_t>{0, 1, 2, 3}));

  // More records: each member consumes its own partitions only.
  produce_keyed(topic, 400, 400);
  a->records_after_split.clear();
  b->records_after_split.clear();
  for (const auto deadline = clock::now() + 30s; seen.size() < 800 && clock::now() < deadline;) {
    a->step(seen);
    b->step(seen);
    ASSERT_TRUE(disjoint(a->listener.owned, b->listener.owned));
  }
  ASSERT_EQ(seen.size(), 800u);
  EXPECT_FALSE(a->records_after_split.empty());
  EXPECT_FALSE(b->records_after_split.empty());
  for (const auto& [p, n] : a->records_after_split) EXPECT_TRUE(a->listener.owned.contains(p)) << p;
  for (const auto& [p, n] : b->records_after_split) EXPECT_TRUE(b->listener.owned.contains(p)) << p;

  // B leaves: its partitions go to A, starting at what B committed.
  const std::set<std::int32_t> b_had = b->listener.owned;
  const auto b_committed = b->c->committed({b_had.begin(), b_had.end()}, 10s);
  ASSERT_TRUE(b_committed.ok()) << b_committed.err().message;
  b->c.reset();
  ASSERT_TRUE(b->listener.owned.empty()) << "closing revokes";
  produce_keyed(topic, 400, 800);
  const size_t a_assignments = a->listener.assigned.size();
  for (const auto deadline = clock::now() + 30s;
       (seen.size() < 1200 || a->listener.owned.size() < 4) && clock::now() < deadline;) {
    a->step(seen);
  }
  ASSERT_EQ(a->listener.owned.size(), 4u);
  ASSERT_GT(a->listener.assigned.size(), a_assignments);
  const auto& last = a->listener.assigned.back();
  for (const auto& [p, offset] : *b_committed) {
    ASSERT_TRUE(last.contains(p));
    EXPECT_EQ(last.at(p), offset) << "A resumes B's partition " << p << " at B's committed offset";
  }
  // Settle: nothing more arrives.
  for (const auto until = clock::now() + 1s; clock::now() < until;) a->step(seen);
  expect_exactly_once(seen, a->c->end_offsets(10s).value());
  EXPECT_GE(
      metrics.add_counter("clicktrail_kafka_consumer_rebalances_total", "", {{"event", "revoke"}}).value(),
      3u);
}

// A member that takes one record at a time holds up to seven more read ahead: when the group
// moves, they are dropped (the metric says how many), never handed out for a partition it lost.
TEST(consumer_group_test, records_read_ahead_when_the_group_moves_are_dropped) {
  REQUIRE_BROKER();
  const std::string topic = fresh_name("read-ahead-split");
  const std::string group = fresh_name("group");
  produce_keyed(topic, 2'000);
  base::registry a_metrics, b_metrics;
  const auto poll_one = [](member& m) {
    auto batch = m.c->poll(1, 100ms);
    ASSERT_TRUE(batch.ok()) << batch.err().message;
    for (const auto& r : *batch) {
      ASSERT_TRUE(m.listener.owned.contains(r->partition()))
          << "record from partition " << r->partition() << " which this member does not own";
      ++m.records_after_split[r->partition()];
    }
  };
  auto a = join(group, topic, a_metrics, 32 << 20);
  ASSERT_TRUE(a->c);
  for (const auto deadline = clock::now() + 30s; a->records_after_split.empty() && clock::now() < deadline;) {
    poll_one(*a);
  }
  ASSERT_FALSE(a->records_after_split.empty());
  auto b = join(group, topic, b_metrics, 32 << 20);
  ASSERT_TRUE(b->c);
  for (const auto deadline = clock::now() + 30s;
       !(a->listener.owned.size() == 2 && b->listener.owned.size() == 2) && clock::now() < deadline;) {
    poll_one(*a);
    poll_one(*b);
  }
  ASSERT_EQ(a->listener.owned.size(), 2u);
  ASSERT_EQ(b->listener.owned.size(), 2u);
  EXPECT_GT(a_metrics.add_counter("clicktrail_kafka_consumer_read_ahead_dropped_records_total", "").value(),
            0u)
      << "A held nothing read ahead when the group moved: the test proves nothing";
}

TEST(consumer_group_test, broker_loss_is_quiet_in_poll_retry_in_commit_and_the_member_recovers) {
  const mock_cluster cluster(4);
  ASSERT_TRUE(cluster.get());
  {
    base::registry metrics;
    producer_options o;
    o.brokers = cluster.bootstrap();
    auto p = producer::create(o, metrics);
    ASSERT_TRUE(p.ok());
    for (int i = 0; i < 100; ++i)
      (*p)->produce("events", std::to_string(i), "v", {}, [](const base::status&) {});
    ASSERT_TRUE((*p)->flush(10s).ok());
  }
  base::registry metrics;
  recording_listener l;
  // The mock broker allows a session shorter than a real one's 6 s floor: this test waits for
  // two session expiries. Reconnect quickly once the broker is back.
  auto o = options_for(cluster.bootstrap(), "g", "events");
  o.extra.insert(o.extra.end(), {{"session.timeout.ms", "3000"}, {"reconnect.backoff.max.ms", "500"}});
  auto created = consumer::create(o, l, metrics);
  ASSERT_TRUE(created.ok()) << created.err().message;
  auto c = std::move(created).value();
  const auto got = drain(*c, 100, 30s);
  ASSERT_EQ(got.size(), 100u);
  ASSERT_TRUE(c->commit(got.back().partition, got.back().offset + 1).ok());

  rd_kafka_mock_broker_set_down(cluster.get(), 1);
  for (const auto until = clock::now() + 2s; clock::now() < until;) {
    auto batch = c->poll(100, 100ms);
    ASSERT_TRUE(batch.ok()) << "a lost broker is not the owner's problem: " << batch.err().message;
    EXPECT_TRUE(batch->empty());
  }
  auto start = clock::now();
  const auto [partition, next] = std::pair(got.back().partition, got.back().offset + 1);
  const base::status s = c->commit(partition, next);
  const auto commit_took = clock::now() - start;
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.err().what, base::outcome::retry) << s.err().message;
  EXPECT_LT(commit_took, 5s) << "bounded by session.timeout.ms (3 s here)";
  std::cout << "commit without a coordinator took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(commit_took).count()
            << " ms: " << s.err().message << "\n";

  // The session has expired: the next poll() revokes (the assignment is lost).
  for (const auto until = clock::now() + 10s; !l.owned.empty() && clock::now() < until;) {
    ASSERT_TRUE(c->poll(100, 100ms).ok());
  }
  ASSERT_TRUE(l.owned.empty()) << "the expired session revokes in poll()";

  // The broker returns: the member rejoins and resumes at the committed offsets.
  rd_kafka_mock_broker_set_up(cluster.get(), 1);
  for (const auto until = clock::now() + 30s; l.owned.size() < 4 && clock::now() < until;) {
    ASSERT_TRUE(c->poll(100, 100ms).ok());
  }
  ASSERT_EQ(l.owned.size(), 4u);
  EXPECT_EQ(l.assigned.back().at(partition), next);
  EXPECT_TRUE(c->commit(partition, next).ok());

  rd_kafka_mock_broker_set_down(cluster.get(), 1);
  start = clock::now();
  c.reset();
  EXPECT_LT(clock::now() - start, 15s);
  EXPECT_TRUE(l.owned.empty()) << "on_revoked even when the coordinator is gone";
}

}  // namespace
}  // namespace clicktrail::kafka
