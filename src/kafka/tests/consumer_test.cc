// The group consumer against the real broker of `./dev services start` (KAFKA_BOOTSTRAP): one
// member at a time. consumer_group_test.cc covers two members and broker loss.
#include "kafka/consumer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <thread>

#include "kafka/tests/consumer_support.h"

namespace clicktrail::kafka {
namespace {

using namespace testing;

std::unique_ptr<consumer> make(const consumer_options& o, rebalance_listener& l, base::registry& metrics) {
  auto c = consumer::create(o, l, metrics);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.err().message);
  return c.ok() ? std::move(c).value() : nullptr;
}

std::uint64_t commits(base::registry& m, const char* outcome) {
  return m.add_counter("clicktrail_kafka_consumer_commits_total", "", {{"outcome", outcome}}).value();
}

TEST(consumer_test, unknown_property_fails_create_naming_it) {
  base::registry metrics;
  recording_listener l;
  auto o = options_for("127.0.0.1:1", "g", "t");
  o.extra.emplace_back("foo.bar", "1");
  auto c = consumer::create(o, l, metrics);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.err().what, base::outcome::fail);
  EXPECT_NE(c.err().message.find("kafka.consumer property \"foo.bar\""), std::string::npos)
      << c.err().message;
  EXPECT_NE(c.err().message.find("CONFIGURATION.md"), std::string::npos) << c.err().message;
}

TEST(consumer_test, settings_that_break_exactly_once_are_refused) {
  base::registry metrics;
  recording_listener l;
  for (const auto& [name, value] : property_list{{"enable.auto.commit", "true"},
                                                 {"partition.assignment.strategy", "cooperative-sticky"},
                                                 {"auto.offset.reset", "earliest"}}) {
    auto o = options_for("127.0.0.1:1", "g", "t");
    o.extra.emplace_back(name, value);
    auto c = consumer::create(o, l, metrics);
    ASSERT_FALSE(c.ok()) << name;
    EXPECT_NE(c.err().message.find('"' + name + '"'), std::string::npos) << c.err().message;
  }
  auto c = consumer::create(options_for("127.0.0.1:1", "", "t"), l, metrics);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.err().message.find("group id"), std::string::npos) << c.err().message;
}

TEST(consumer_test, consumes_every_record_once_with_its_key_value_and_offset) {
  REQUIRE_BROKER();
  const std::string topic = fresh_name("consume");
  constexpr size_t n = 2'000;
  produce_keyed(topic, n);
  const auto produced_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();

  base::registry metrics;
  recording_listener l;
  {
    auto c = make(options_for(bootstrap(), fresh_name("group"), topic), l, metrics);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->topic(), topic);
    const auto got = drain(*c, n, 30s, 1s);
    ASSERT_EQ(got.size(), n) << "missing or extra records";

    std::set<std::string> keys;
    std::map<std::int32_t, std::int64_t> next;  // per partition: the offset expected next
    for (const auto& r : got) {
      ASSERT_TRUE(keys.insert(r.key).second) << r.key << " arrived twice";
      const size_t i = std::stoul(r.key.substr(r.key.find('-') + 1));
      ASSERT_EQ(r.value, value_of(i)) << r.key;
      ASSERT_EQ(r.offset, next[r.partition]++) << "partition " << r.partition << " skipped or reordered";
      EXPECT_LE(r.timestamp_ms, produced_ms);
      EXPECT_GT(r.timestamp_ms, produced_ms - 600'000);
    }
    ASSERT_EQ(next.size(), 4u) << "the broker creates topics with 4 partitions";

    ASSERT_EQ(l.assigned.size(), 1u);
    const std::map<std::int32_t, std::optional<std::int64_t>> none = {
        {0, std::nullopt}, {1, std::nullopt}, {2, std::nullopt}, {3, std::nullopt}};
    EXPECT_EQ(l.assigned[0], none);
    EXPECT_TRUE(l.revoked.empty());

    auto ends = c->end_offsets(10s);
    ASSERT_TRUE(ends.ok()) << ends.err().message;
    EXPECT_EQ(*ends, next);
    auto committed = c->committed({0, 1, 2, 3}, 10s);
    ASSERT_TRUE(committed.ok()) << committed.err().message;
    EXPECT_TRUE(committed->empty());

    EXPECT_EQ(metrics.add_counter("clicktrail_kafka_consumed_records_total", "").value(), n);
    EXPECT_EQ(metrics.add_gauge("clicktrail_kafka_consumer_assigned_partitions", "").value(), 4);
  }
  ASSERT_EQ(l.revoked.size(), 1u) << "the destructor leaves the group, revoking";
  EXPECT_EQ(l.revoked[0], (std::vector<std::int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(metrics.add_gauge("clicktrail_kafka_consumer_assigned_partitions", "").value(), 0);
}

// A consumer of `topic` in a fresh group that reads up to 32 MiB ahead.
std::unique_ptr<consumer> read_ahead_consumer(const std::string& topic, rebalance_listener& l,
                                              base::registry& metrics) {
  auto o = options_for(bootstrap(), fresh_name("group"), topic);
  o.read_ahead_bytes = 32 << 20;
  return make(o, l, metrics);
}

// The first record handed out, taken one at a time: the consumer may hold more read ahead.
std::optional<got_record> first_record(consumer& c) {
  for (const auto deadline = std::chrono::steady_clock::now() + 30s;
       std::chrono::steady_clock::now() < deadline;) {
    auto batch = c.poll(1, 200ms);
    if (!batch.ok()) {
      ADD_FAILURE() << batch.err().message;
      return std::nullopt;
    }
    if (!batch->empty()) return copy_of(*batch->front());
  }
  return std::nullopt;
}

TEST(consumer_test, with_read_ahead_a_batch_holds_a_share_of_each_partition_read) {
  REQUIRE_BROKER();
  const std::string topic = fresh_name("read-ahead");
  constexpr size_t n = 20'000;
  produce_keyed(topic, n);
  base::registry metrics;
  recording_listener l;
  auto c = read_ahead_consumer(topic, l, metrics);
  ASSERT_TRUE(c);
  const auto first = first_record(*c);
  ASSERT_TRUE(first);
  std::vector<got_record> got = {*first};
  // librdkafka's queue now fills with the fetched batches, each partition's whole, one after
  // another: without read-ahead the next 1,000 records would come from one partition.
  std::this_thread::sleep_for(2s);
  auto batch = c->poll(1000, 1s);
  ASSERT_TRUE(batch.ok()) << batch.err().message;
  ASSERT_EQ(batch->size(), 1000u);
  std::map<std::int32_t, size_t> per_partition;
  for (const auto& r : *batch) {
    ++per_partition[r->partition()];
    got.push_back(copy_of(*r));
  }
  EXPECT_GE(per_partition.size(), 2u) << "a batch of one partition";
  // The rest: every record once, each partition's in order.
  for (auto& r : drain(*c, n - got.size(), 30s, 1s)) got.push_back(std::move(r));
  ASSERT_EQ(got.size(), n);
  std::map<std::int32_t, std::int64_t> next;
  for (const auto& r : got) {
    ASSERT_EQ(r.offset, next[r.partition]++) << "partition " << r.partition << " skipped or reordered";
  }
}

TEST(consumer_test, a_seek_drops_what_was_read_ahead_of_the_partition) {
  REQUIRE_BROKER();
  const std::string topic = fresh_name("read-ahead-seek");
  produce_keyed(topic, 2'000);
  base::registry metrics;
  recording_listener l;
  auto c = read_ahead_consumer(topic, l, metrics);
  ASSERT_TRUE(c);
  // One record handed out; up to seven more of its partition wait, read ahead.
  const auto first = first_record(*c);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->offset, 0);
  ASSERT_TRUE(c->seek(first->partition, 0).ok());
  EXPECT_GT(metrics.add_counter("clicktrail_kafka_consumer_read_ahead_dropped_records_total", "").value(), 0u)
      << "nothing was held to drop: the test proves nothing";
  for (const auto& r : drain(*c, 2'000, 30s)) {
    if (r.partition != first->partition) continue;
    EXPECT_EQ(r.offset, 0) << "the first record of the partition after the seek is the one sought";
    break;
  }
}

TEST(consumer_test, a_new_member_resumes_at_the_committed_offsets) {
  REQUIRE_BROKER();
  const std::string topic = fresh_name("resume");
  const std::string group = fresh_name("group");
  constexpr size_t n = 400;
  produce_keyed(topic, n);

  base::registry metrics;
  std::map<std::int32_t, std::int64_t> ends;
  std::map<std::int32_t, std::int64_t> commit;  // partition 0 fully, the others half way, 3 never
  {
    recording_listener l;
    auto c = make(options_for(bootstrap(), group, topic), l, metrics);
    ASSERT_TRUE(c);
    ASSERT_EQ(drain(*c, n, 30s).size(), n);
    ends = c->end_offsets(10s).value();
    commit = {{0, ends[0]}, {1, ends[1] / 2}, {2, 1}};
    for (const auto& [p, offset] : commit) ASSERT_TRUE(c->commit(p, offset).ok()) << p;
    EXPECT_EQ(c->committed({0, 1, 2, 3}, 10s).value(), commit);

    const base::status stranger = c->commit(7, 1);
    ASSERT_FALSE(stranger.ok());
    EXPECT_EQ(stranger.err().what, base::outcome::fail);
    EXPECT_NE(stranger.err().message.find("not assigned"), std::string::npos) << stranger.err().message;
    EXPECT_FALSE(c->commit(1, -5).ok());
    EXPECT_EQ(commits(metrics, "ok"), 3u);
    EXPECT_EQ(commits(metrics, "fail"), 2u);
  }

  recording_listener l;
  auto c = make(options_for(bootstrap(), group, topic), l, metrics);
  ASSERT_TRUE(c);
  size_t want = 0;
  for (const auto& [p, end] : ends) want += static_cast<size_t>(end - (commit.contains(p) ? commit[p] : 0));
  const auto got = drain(*c, want, 30s, 1s);
  ASSERT_EQ(got.size(), want);
  ASSERT_EQ(l.assigned.size(), 1u);
  const std::map<std::int32_t, std::optional<std::int64_t>> seen = {
      {0, ends[0]}, {1, ends[1] / 2}, {2, 1}, {3, std::nullopt}};
  EXPECT_EQ(l.assigned[0], seen) << "on_assigned must carry the committed offsets";
  std::map<std::int32_t, std::int64_t> first;
  for (const auto& r : got) first.try_emplace(r.partition, r.offset);
  EXPECT_FALSE(first.contains(0)) << "partition 0 was fully committed";
  EXPECT_EQ(first[1], ends[1] / 2);
  EXPECT_EQ(first[2], 1);
  EXPECT_EQ(first[3], 0);
}

// Deletes the records of `partition` below `before`, as retention does (DeleteRecords).
void delete_records_below(const std::string& topic, std::int32_t partition, std::int64_t before) {
  conf_ptr conf(rd_kafka_conf_new());
  std::array<char, 256> why{};
  ASSERT_EQ(rd_kafka_conf_set(conf.get(), "bootstrap.servers", bootstrap().c_str(), why.data(), why.size()),
            RD_KAFKA_CONF_OK);
  client_ptr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), why.data(), why.size()));
  ASSERT_TRUE(rk) << why.data();
  (void)conf.release();
  const partition_list_ptr offsets(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(offsets.get(), topic.c_str(), partition)->offset = before;
  rd_kafka_DeleteRecords_t* request = rd_kafka_DeleteRecords_new(offsets.get());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk.get());
  rd_kafka_DeleteRecords(rk.get(), &request, 1, nullptr, queue);
  rd_kafka_event_t* done = rd_kafka_queue_poll(queue, 30'000);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(rd_kafka_event_error(done), RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_event_error_string(done);
  const auto* result = rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(done));
  ASSERT_EQ(result->cnt, 1);
  EXPECT_EQ(result->elems[0].err, RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_event_destroy(done);
  rd_kafka_DeleteRecords_destroy(request);
  rd_kafka_queue_destroy(queue);
}

TEST(consumer_test, records_deleted_before_they_were_read_are_skipped_loudly) {
  // The owner asks to read partition 0 from offset 5, but retention removed everything below 60:
  // the consumer goes on from 60 and counts 55 records lost.
  REQUIRE_BROKER();
  const std::string topic = fresh_name("deleted");
  base::registry metrics;
  for (size_t i = 0; i < 100; ++i) produce_raw(bootstrap(), topic, 0, "k", value_of(i));
  delete_records_below(topic, 0, 60);
  recording_listener l;
  l.start_at = {{0, 5}, {1, 0}, {2, 0}, {3, 0}};
  auto c = make(options_for(bootstrap(), fresh_name("group"), topic), l, metrics);
  ASSERT_TRUE(c);
  const auto got = drain(*c, 40, 30s, 500ms);
  ASSERT_EQ(got.size(), 40u);
  EXPECT_EQ(got.front().offset, 60);
  EXPECT_NE(metrics.expose().find("clicktrail_kafka_consumer_lost_records_total 55"), std::string::npos)
      << metrics.expose();
}

// Records [from, to) to `partition` as one producer batch (unlike produce_raw, one batch each).
void produce_one_batch(const std::string& topic, std::int32_t partition, size_t from, size_t to) {
  conf_ptr conf(rd_kafka_conf_new());
  std::array<char, 256> why{};
  for (const auto& [name, value] : property_list{{"bootstrap.servers", bootstrap()}, {"linger.ms", "1000"}}) {
    ASSERT_EQ(rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), why.data(), why.size()),
              RD_KAFKA_CONF_OK);
  }
  client_ptr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), why.data(), why.size()));
  ASSERT_TRUE(rk) << why.data();
  (void)conf.release();
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk.get(), topic.c_str(), nullptr);
  for (size_t i = from; i < to; ++i) {
    std::string value = value_of(i);
    ASSERT_EQ(
        rd_kafka_produce(t, partition, RD_KAFKA_MSG_F_COPY, value.data(), value.size(), "k", 1, nullptr), 0);
  }
  ASSERT_EQ(rd_kafka_flush(rk.get(), 30'000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_destroy(t);
}

TEST(consumer_test, records_read_ahead_before_a_deletion_are_still_handed_out) {
  // Partition 0 holds two producer batches, 0…19 and 20…99. The consumer fetches one batch at a
  // time and, holding records, no more for a second (librdkafka 2.0's backoff); meanwhile
  // retention removes everything below 60. Its next fetch, at 20, fails out of range, and it
  // goes on from 60. The records it read before come first, in order; only 20…59 are lost.
  REQUIRE_BROKER();
  const std::string topic = fresh_name("deleted-ahead");
  base::registry metrics;
  produce_one_batch(topic, 0, 0, 20);
  produce_one_batch(topic, 0, 20, 100);
  recording_listener l;
  auto o = options_for(bootstrap(), fresh_name("group"), topic);
  o.read_ahead_bytes = 32 << 20;
  o.extra.insert(o.extra.end(), {{"max.partition.fetch.bytes", "1"},
                                 {"queued.min.messages", "1"},
                                 {"queued.max.messages.kbytes", "1"}});
  auto c = make(o, l, metrics);
  ASSERT_TRUE(c);
  const auto first = first_record(*c);
  ASSERT_TRUE(first);
  std::vector<got_record> got = {*first};
  delete_records_below(topic, 0, 60);
  // librdkafka fetches again once its own queue is (nearly) empty, and at most once a second:
  // taking one record every 300 ms, the consumer still holds records read ahead when that fetch
  // fails.
  for (const auto deadline = std::chrono::steady_clock::now() + 30s;
       got.back().offset < 99 && std::chrono::steady_clock::now() < deadline;) {
    auto batch = c->poll(1, 200ms);
    ASSERT_TRUE(batch.ok()) << batch.err().message;
    for (const auto& r : *batch) got.push_back(copy_of(*r));
    if (got.back().offset < 19) std::this_thread::sleep_for(300ms);
  }
  std::vector<std::int64_t> offsets;
  for (const auto& r : got) {
    if (r.partition == 0) offsets.push_back(r.offset);
  }
  // 0 … last read before the failed fetch (19, unless the broker answered with less than the
  // first batch), then 60 … 99; and only what was never read counted as lost.
  std::int64_t last = 0;
  while (static_cast<std::size_t>(last + 1) < offsets.size() &&
         offsets[static_cast<std::size_t>(last + 1)] == last + 1)
    ++last;
  std::vector<std::int64_t> expected(static_cast<std::size_t>(last + 1));
  std::iota(expected.begin(), expected.end(), 0);
  for (std::int64_t offset = 60; offset < 100; ++offset) expected.push_back(offset);
  EXPECT_EQ(offsets, expected);
  EXPECT_NE(
      metrics.expose().find(fmt::format("clicktrail_kafka_consumer_lost_records_total {}\n", 59 - last)),
      std::string::npos)
      << "lost should count offsets " << last + 1 << "…59\n"
      << metrics.expose();
}

TEST(consumer_test, an_offset_past_the_partitions_end_stops_the_consumer_with_the_cause) {
  // The owner wants to read from 500, but the partition ends at 10: the topic was created again
  // (or its log cut back). Reading from the start instead would hand out other records under
  // offsets the owner has.
  REQUIRE_BROKER();
  const std::string topic = fresh_name("behind");
  base::registry metrics;
  for (size_t i = 0; i < 10; ++i) produce_raw(bootstrap(), topic, 0, "k", value_of(i));
  recording_listener l;
  l.start_at = {{0, 500}};
  auto c = make(options_for(bootstrap(), fresh_name("group"), topic), l, metrics);
  ASSERT_TRUE(c);
  std::optional<base::error> stopped;
  for (const auto deadline = std::chrono::steady_clock::now() + 30s;
       !stopped && std::chrono::steady_clock::now() < deadline;) {
    auto batch = c->poll(100, 200ms);
    if (!batch) {
      stopped = batch.err();
    } else {
      EXPECT_TRUE(batch->empty()) << "no record may be handed out";
    }
  }
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->what, base::outcome::fail);
  EXPECT_NE(stopped->message.find("ends at offset 10"), std::string::npos) << stopped->message;
  EXPECT_NE(stopped->message.find("created again"), std::string::npos) << stopped->message;
}

TEST(consumer_test, a_commit_inside_on_revoked_while_closing_is_kept) {
  REQUIRE_BROKER();
  const std::string topic = fresh_name("last-commit");
  const std::string group = fresh_name("group");
  produce_keyed(topic, 100);
  base::registry metrics;
  recording_listener l;
  auto c = make(options_for(bootstrap(), group, topic), l, metrics);
  ASSERT_TRUE(c);
  ASSERT_EQ(drain(*c, 100, 30s).size(), 100u);
  base::status last;
  // unique_ptr::reset() clears the pointer before destroying: keep the raw one for the hook.
  consumer* const closing = c.get();
  l.before_revoke = [&](const std::vector<std::int32_t>&) { last = closing->commit(0, 3); };
  c.reset();
  EXPECT_TRUE(last.ok()) << last.err().message;

  recording_listener again;
  auto c2 = make(options_for(bootstrap(), group, topic), again, metrics);
  ASSERT_TRUE(c2);
  EXPECT_EQ(c2->committed({0, 1}, 10s).value(), (std::map<std::int32_t, std::int64_t>{{0, 3}}));
}

TEST(consumer_test, null_and_empty_keys_and_values_and_a_record_outliving_its_consumer) {
  REQUIRE_BROKER();
  const std::string topic = fresh_name("nulls");
  produce_raw(bootstrap(), topic, 0, "tombstone", std::nullopt);
  produce_raw(bootstrap(), topic, 0, std::nullopt, "");
  produce_raw(bootstrap(), topic, 0, "", "x");

  base::registry metrics;
  recording_listener l;
  std::unique_ptr<record> kept;
  {
    auto c = make(options_for(bootstrap(), fresh_name("group"), topic), l, metrics);
    ASSERT_TRUE(c);
    std::vector<std::unique_ptr<record>> got;
    for (const auto deadline = std::chrono::steady_clock::now() + 30s;
         got.size() < 3 && std::chrono::steady_clock::now() < deadline;) {
      auto batch = c->poll(10, 200ms);
      ASSERT_TRUE(batch.ok()) << batch.err().message;
      for (auto& r : *batch) got.push_back(std::move(r));
    }
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0]->key(), "tombstone");
    EXPECT_EQ(got[0]->value(), std::nullopt);
    EXPECT_EQ(got[1]->key(), "");
    ASSERT_TRUE(got[1]->value().has_value()) << "an empty value is not a null one";
    EXPECT_EQ(*got[1]->value(), "");
    EXPECT_EQ(got[2]->value(), std::optional<std::string_view>("x"));
    kept = std::move(got[0]);
    const auto start = std::chrono::steady_clock::now();
    c.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "closing with a record held";
  }
  EXPECT_EQ(kept->key(), "tombstone");
  EXPECT_EQ(kept->offset(), 0);
  kept.reset();  // the client goes with the last record
}

}  // namespace
}  // namespace clicktrail::kafka
