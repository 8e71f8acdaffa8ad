// The group-less reader against the real broker of `./dev services start` (KAFKA_BOOTSTRAP): every
// partition from its start or its end, no commit even when [kafka.consumer] names a group, and
// the errors a user meets first: brokers that do not answer, a topic that does not exist.
#include "kafka/reader.h"

#include <gtest/gtest.h>

#include <set>

#include "kafka/consumer_offsets.h"
#include "kafka/tests/consumer_support.h"

namespace clicktrail::kafka {
namespace {

using namespace testing;

std::unique_ptr<reader> open_reader(const reader_options& o, reader::start from) {
  auto r = reader::open(o, from, 10s);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().message);
  return r.ok() ? std::move(r).value() : nullptr;
}

// Polls until `want` records have arrived, then `settle` longer to catch extras, or `timeout`.
std::vector<got_record> drain(reader& r, size_t want, std::chrono::milliseconds timeout,
                              std::chrono::milliseconds settle) {
  std::vector<got_record> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto take = [&](std::chrono::milliseconds wait) {
    auto batch = r.poll(500, wait);
    if (!batch.ok()) {
      ADD_FAILURE() << batch.err().message;
      return false;
    }
    for (const auto& rec : *batch) out.push_back(copy_of(*rec));
    return true;
  };
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    if (!take(200ms)) return out;
  }
  for (const auto until = std::chrono::steady_clock::now() + settle;
       std::chrono::steady_clock::now() < until;) {
    if (!take(100ms)) break;
  }
  return out;
}

std::set<std::string> keys_of(const std::vector<got_record>& records) {
  std::set<std::string> keys;
  for (const auto& r : records) EXPECT_TRUE(keys.insert(r.key).second) << r.key << " arrived twice";
  return keys;
}

std::set<std::string> visitors(size_t first, size_t n) {
  std::set<std::string> out;
  for (size_t i = first; i < first + n; ++i) out.insert(fmt::format("visitor-{}", i));
  return out;
}

TEST(reader_test, from_the_beginning_reads_every_partition_whole) {
  REQUIRE_BROKER();
  const std::string topic = fresh_name("reader-all");
  produce_keyed(topic, 200);
  auto r = open_reader({bootstrap(), topic, {}}, reader::start::beginning);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->starts(), (std::map<std::int32_t, std::int64_t>{{0, 0}, {1, 0}, {2, 0}, {3, 0}}));
  const auto got = drain(*r, 200, 30s, 500ms);
  EXPECT_EQ(keys_of(got), visitors(0, 200));
  for (const auto& g : got) {
    const size_t i = std::stoul(g.key.substr(g.key.find('-') + 1));
    EXPECT_EQ(g.value, value_of(i));
  }
}

TEST(reader_test, from_the_end_reads_only_what_is_written_after_open) {
  REQUIRE_BROKER();
  const std::string topic = fresh_name("reader-end");
  produce_keyed(topic, 100);
  auto r = open_reader({bootstrap(), topic, {}}, reader::start::end);
  ASSERT_TRUE(r);
  std::int64_t before = 0;
  for (const auto& [p, offset] : r->starts()) before += offset;
  EXPECT_EQ(before, 100);
  produce_keyed(topic, 30, 100);
  EXPECT_EQ(keys_of(drain(*r, 30, 30s, 1s)), visitors(100, 30));
}

TEST(reader_test, commits_nothing_and_joins_no_group_even_when_kafka_consumer_names_one) {
  REQUIRE_BROKER();
  const std::string topic = fresh_name("reader-group");
  const std::string group = fresh_name("group");
  produce_keyed(topic, 50);
  {
    auto r = open_reader({bootstrap(), topic, {{"group.id", group}, {"enable.auto.commit", "true"}}},
                         reader::start::beginning);
    ASSERT_TRUE(r);
    ASSERT_EQ(drain(*r, 50, 30s, 0ms).size(), 50u);
  }
  // What the group has committed, asked by a client of that group that reads nothing.
  conf_ptr conf(rd_kafka_conf_new());
  std::array<char, 256> why{};
  for (const auto& [name, value] : property_list{{"bootstrap.servers", bootstrap()}, {"group.id", group}}) {
    ASSERT_EQ(rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), why.data(), why.size()),
              RD_KAFKA_CONF_OK);
  }
  rd_kafka_conf_set_log_cb(conf.get(), [](const rd_kafka_t*, int, const char*, const char*) {});
  client_ptr rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), why.data(), why.size()));
  ASSERT_TRUE(rk) << why.data();
  (void)conf.release();
  const partition_list_ptr list = list_of(topic, {0, 1, 2, 3});
  auto committed = read_committed(rk.get(), topic, *list, 10s);
  ASSERT_TRUE(committed.ok()) << committed.err().message;
  EXPECT_TRUE(committed->empty());
  const rd_kafka_group_list* groups = nullptr;
  ASSERT_EQ(rd_kafka_list_groups(rk.get(), group.c_str(), &groups, 10'000), RD_KAFKA_RESP_ERR_NO_ERROR);
  for (int i = 0; i < groups->group_cnt; ++i) EXPECT_EQ(groups->groups[i].member_cnt, 0) << group;
  rd_kafka_group_list_destroy(groups);
}

TEST(reader_test, a_topic_that_does_not_exist_fails_naming_it) {
  REQUIRE_BROKER();
  const std::string topic = fresh_name("reader-missing");
  auto r = reader::open({bootstrap(), topic, {}}, reader::start::end, 10s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().what, base::outcome::fail);
  EXPECT_NE(r.err().message.find("\"" + topic + "\" does not exist"), std::string::npos) << r.err().message;
  EXPECT_NE(r.err().message.find("kafka.topic"), std::string::npos) << r.err().message;
}

TEST(reader_test, brokers_that_do_not_answer_fail_in_time_naming_them) {
  const auto started = std::chrono::steady_clock::now();
  auto r = reader::open({"127.0.0.1:1", "events", {}}, reader::start::end, 2s);
  ASSERT_FALSE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_EQ(r.err().what, base::outcome::retry);
  EXPECT_NE(r.err().message.find("127.0.0.1:1"), std::string::npos) << r.err().message;
  EXPECT_NE(r.err().message.find("kafka.brokers"), std::string::npos) << r.err().message;
}

TEST(reader_test, an_unknown_property_fails_naming_it) {
  auto r = reader::open({"127.0.0.1:1", "events", {{"foo.bar", "1"}}}, reader::start::end, 1s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.err().message.find("kafka.consumer property \"foo.bar\""), std::string::npos)
      << r.err().message;
}

}  // namespace
}  // namespace clicktrail::kafka
