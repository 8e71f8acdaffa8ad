// Which partitions compaction takes on, and one partition's rewrite against a directory store:
// the events once each, the earliest commit's copy kept, and nothing left behind by a failure.

#include "table/compaction.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "format/parquet/event_reader.h"
#include "table/tests/table_store_test.h"

namespace clicktrail::table {
namespace {

namespace fs = std::filesystem;

constexpr std::int32_t hour = 498778;  // 2026-11-25T10:00Z
constexpr std::int64_t hour_ms = 3'600'000;
constexpr std::int64_t hour_start = std::int64_t{hour} * hour_ms;

manifest_entry entry(std::int32_t partition, std::int64_t size, std::int64_t sequence, std::string path) {
  return {.status = manifest_entry::state::existing,
          .snapshot_id = 1,
          .sequence_number = sequence,
          .file_sequence_number = sequence,
          .file = {.path = std::move(path), .size = size, .records = 10, .partition = partition}};
}

TEST(plan_compaction, takes_closed_partitions_with_more_files_than_their_size_needs) {
  const partitioning p;
  const compaction_options o{.target_bytes = 100, .settle_ms = 600'000};
  const std::vector<manifest_entry> live = {
      entry(hour, 10, 2, "b"),      entry(hour, 10, 1, "c"),
      entry(hour, 10, 1, "a"),                                     // small: compacted
      entry(hour + 1, 100, 1, "d"), entry(hour + 1, 100, 1, "e"),  // as big as needed
      entry(hour + 2, 10, 1, "f"),                                 // one file
      entry(hour + 3, 10, 1, "g"),  entry(hour + 3, 10, 1, "h"),   // not settled yet
  };
  const std::int64_t now = hour_start + 4 * hour_ms + 500'000;
  const auto plans = plan_compaction(live, p, now, o);
  ASSERT_EQ(plans.size(), 1U);
  EXPECT_EQ(plans[0].partition, hour);
  EXPECT_EQ(plans[0].bytes, 30);
  EXPECT_EQ(plans[0].records, 30);
  std::vector<std::string> order;
  for (const auto& f : plans[0].files) order.push_back(f.file.path);
  EXPECT_EQ(order, (std::vector<std::string>{"a", "c", "b"})) << "by commit, then by path";
  // Settled: the last hour too.
  EXPECT_EQ(plan_compaction(live, p, now + 100'001, o).size(), 2U);
}

class compaction_test : public table_store_test {
 protected:
  static event::event make_event(int id, std::int64_t at) {
    event::event e;
    e.event_id = fmt::format("00000000-0000-7000-8000-{:012d}", id);
    e.type = "page_view";
    e.site = "demo";
    e.collector_ts = e.event_ts = at;
    e.page_url = fmt::format("https://me.github.io/{}", at);
    return e;
  }

  // A data file of `events` in the table's store, as the sink writes one.
  data_file put_file(const std::string& name, const std::vector<event::event>& events) {
    std::string bytes;
    format::writer_options o;
    o.times = format::time_unit::micros;
    auto w = format::make_writer(o, [&](std::string_view b) {
      bytes.append(b);
      return base::status{};
    });
    for (const auto& e : events) EXPECT_TRUE(w->append(e, "{}"));
    EXPECT_TRUE(w->finish({}));
    const std::string key = "data/" + name + ".parquet";
    EXPECT_TRUE(store_->put(key, bytes));
    return {.path = "file://" + dir_.string() + "/" + key,
            .size = static_cast<std::int64_t>(bytes.size()),
            .records = static_cast<std::int64_t>(events.size()),
            .partition = hour,
            .columns = metrics_of(w->column_summaries())};
  }

  std::vector<event::event> table_events(iceberg_table& t) {
    std::vector<event::event> out;
    auto live = t.live_files();
    EXPECT_TRUE(live) << live.err().message;
    for (const auto& f : *live) {
      auto bytes = store_->get(*t.key_of(f.file.path));
      auto reader = format::parquet::event_reader::open(std::move(**bytes), f.file.path);
      EXPECT_TRUE(reader) << reader.err().message;
      EXPECT_TRUE(reader->for_each([&](const event::event& e) {
        out.push_back(e);
        return base::status{};
      }));
    }
    return out;
  }
};

TEST_F(compaction_test, a_partition_becomes_one_file_with_each_event_once_and_the_first_copy_kept) {
  auto t = open_table();
  std::vector<event::event> first, resent;
  for (int i = 0; i < 50; ++i) first.push_back(make_event(i, hour_start + i));
  for (int i = 40; i < 60; ++i) resent.push_back(make_event(i, hour_start + 100'000 + i));  // 10 repeats
  ASSERT_TRUE(t.append({put_file("a", {first.begin(), first.begin() + 25})}, {}));
  ASSERT_TRUE(t.append({put_file("b", {first.begin() + 25, first.end()})}, {}));
  ASSERT_TRUE(t.append({put_file("c", resent)}, {{"clicktrail.kafka-offsets", R"({"t":{"0":70}})"}}));

  auto live = t.live_files();
  ASSERT_TRUE(live);
  const auto plans = plan_compaction(*live, t.current()->partition, hour_start + 3 * hour_ms, {});
  ASSERT_EQ(plans.size(), 1U);
  auto done = compact_partition(*store_, t, plans[0], {});
  ASSERT_TRUE(done) << done.err().message;
  EXPECT_EQ(done->files_in, 3);
  EXPECT_EQ(done->files_out, 1);
  EXPECT_EQ(done->records_in, 70);
  EXPECT_EQ(done->records_out, 60);
  EXPECT_EQ(done->repeats, 10);

  const auto events = table_events(t);
  ASSERT_EQ(events.size(), 60U);
  for (int i = 0; i < 60; ++i) {
    // The earliest commit's copy: ids 40-49 keep their first collector_ts, 50-59 the resend's.
    const auto& expected =
        i < 50 ? first[static_cast<std::size_t>(i)] : resent[static_cast<std::size_t>(i - 40)];
    EXPECT_EQ(events[static_cast<std::size_t>(i)], expected) << i;
  }
  EXPECT_EQ(t.current()->current()->summary.at("operation"), "replace");
  EXPECT_EQ(t.current()->current()->summary.at("clicktrail.repeats-removed"), "10");
  EXPECT_EQ(t.current()->current()->summary.at("clicktrail.kafka-offsets"), R"({"t":{"0":70}})");
}

TEST_F(compaction_test, a_failure_commits_nothing_and_leaves_no_file_behind) {
  auto t = open_table();
  const auto a = put_file("a", {make_event(1, hour_start)});
  const auto b = put_file("b", {make_event(2, hour_start + 1)});
  ASSERT_TRUE(t.append({a, b}, {}));
  fs::remove(dir_ / "data" / "b.parquet");  // the table names a file the store lost
  auto live = t.live_files();
  ASSERT_TRUE(live);
  const auto plans = plan_compaction(*live, t.current()->partition, hour_start + 3 * hour_ms, {});
  ASSERT_EQ(plans.size(), 1U);
  auto failed = compact_partition(*store_, t, plans[0], {});
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.err().message.find("missing from the store"), std::string::npos) << failed.err().message;
  EXPECT_EQ(t.version(), 1);
  std::vector<std::string> data;
  for (const auto& f : fs::recursive_directory_iterator(dir_ / "data"))
    if (f.is_regular_file()) data.push_back(f.path().filename().string());
  EXPECT_EQ(data, std::vector<std::string>{"a.parquet"}) << "what the failed run wrote was removed";
}

}  // namespace
}  // namespace clicktrail::table
