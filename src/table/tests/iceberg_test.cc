#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "event/fields.h"
#include "format/avro/container.h"
#include "table/iceberg_table.h"
#include "table/kafka_offsets.h"
#include "table/table_metadata.h"
#include "table/tests/table_store_test.h"

namespace clicktrail::table {
namespace {

namespace fs = std::filesystem;

using iceberg_table_test = table_store_test;

TEST(iceberg_partitioning, values_and_directories_follow_hours_and_days_since_1970) {
  const partitioning hour;
  EXPECT_EQ(hour.field_name(), "collector_ts_hour");
  EXPECT_EQ(hour.value_of(1795600800000), 498778);  // 2026-11-25T10:00:00Z
  EXPECT_EQ(hour.value_of(1795600800000 - 1), 498777);
  EXPECT_EQ(hour.value_of(-1), -1);  // floored, not truncated
  EXPECT_EQ(hour.directory(498778), "collector_ts_hour=2026-11-25-10");
  const partitioning day{.source = "event_ts", .by = partitioning::transform::day};
  EXPECT_EQ(day.value_of(1795600800000), 20782);
  EXPECT_EQ(day.directory(20782), "event_ts_day=2026-11-25");
}

TEST(kafka_offsets, read_from_the_current_snapshot_and_written_back_whole) {
  table_metadata m;
  EXPECT_TRUE(kafka_offsets_of(&m)->by_topic.empty());  // no snapshot
  snapshot s;
  s.id = 7;
  s.summary = {{"operation", "append"}};
  m.snapshots.push_back(s);
  EXPECT_TRUE(kafka_offsets_of(&m)->by_topic.empty());  // another writer's
  m.snapshots.back().summary["clicktrail.kafka-offsets"] =
      R"({"clicktrail.events":{"0":12,"3":40},"wal":{"0":5}})";
  auto offsets = kafka_offsets_of(&m);
  ASSERT_TRUE(offsets) << offsets.err().message;
  EXPECT_EQ(offsets->of("clicktrail.events", 3), 40);
  EXPECT_EQ(offsets->of("clicktrail.events", 1), std::nullopt);
  EXPECT_EQ(offsets->of("wal", 0), 5);
  offsets->set("clicktrail.events", 1, 9);
  EXPECT_EQ(offsets->to_json(), R"({"clicktrail.events":{"0":12,"1":9,"3":40},"wal":{"0":5}})");
  // Another engine's commit on top (a compaction by Spark) records none: its parent's count.
  snapshot foreign;
  foreign.id = 8;
  foreign.parent = 7;
  foreign.summary = {{"operation", "replace"}};
  m.snapshots.push_back(foreign);
  EXPECT_EQ(kafka_offsets_of(&m)->of("wal", 0), 5);
  m.snapshots.back().summary = m.snapshots.front().summary;
  for (const char* damaged : {"[1]", R"({"t":{"0":-1}})", R"({"t":{"x":1}})", R"({"t":3})", "not json"}) {
    m.snapshots.back().summary["clicktrail.kafka-offsets"] = damaged;
    auto refused = kafka_offsets_of(&m);
    ASSERT_FALSE(refused) << damaged;
    EXPECT_NE(refused.err().message.find("damaged"), std::string::npos) << refused.err().message;
  }
}

TEST(table_metadata, reads_the_version_of_either_naming_of_metadata_files) {
  EXPECT_EQ(metadata_version_of("s3://b/t/metadata/v12.metadata.json"), 12);
  EXPECT_EQ(metadata_version_of("s3://b/t/metadata/00012-6c1a2b3c-0000-4000-8000-000000000000.metadata.json"),
            12);
  EXPECT_EQ(metadata_version_of("v3.metadata.json"), 3);
  EXPECT_EQ(metadata_version_of("s3://b/t/metadata/version-hint.text"), std::nullopt);
  EXPECT_EQ(metadata_version_of("s3://b/t/metadata/vx.metadata.json"), std::nullopt);
  EXPECT_EQ(metadata_version_of("s3://b/t/metadata/snap-1.avro"), std::nullopt);
}

TEST(iceberg_schema, has_every_column_with_its_id_and_the_partition_source) {
  const std::string s = schema_json();
  EXPECT_NE(s.find(R"({"id":1,"name":"event_id","required":true,"type":"string"})"), std::string::npos) << s;
  EXPECT_NE(s.find(R"("name":"collector_ts","required":true,"type":"timestamptz")"), std::string::npos);
  EXPECT_NE(s.find(R"("name":"client_ts","required":false,"type":"timestamptz")"), std::string::npos);
  EXPECT_NE(s.find(R"("name":"geo_asn","required":false,"type":"long")"), std::string::npos);
  EXPECT_EQ(partition_fields_json(partitioning{}),
            R"([{"source-id":6,"field-id":1000,"transform":"hour","name":"collector_ts_hour"}])");
}

TEST(iceberg_metrics, text_bounds_are_cut_to_16_bytes_and_the_upper_one_rounded_up) {
  using kind = format::column_summary::kind;
  const auto text = [](std::string lo, std::string hi) {
    format::column_summary c;
    c.field_id = 7;
    c.type = kind::text;
    c.values = 3;
    c.min = std::move(lo);
    c.max = std::move(hi);
    return metrics_of(std::vector{c}).at(0);
  };
  const auto short_ones = text("click", "page_view");
  EXPECT_EQ(short_ones.lower, "click");
  EXPECT_EQ(short_ones.upper, "page_view");
  EXPECT_EQ(short_ones.values, 3);
  const auto urls = text("https://me.github.io/a", "https://me.github.io/z");
  EXPECT_EQ(urls.lower, "https://me.githu");
  EXPECT_EQ(urls.upper, "https://me.githv");
  // A cut never splits a character; a last character that cannot be raised is dropped first.
  const auto wide = text("abcdefghijklmnoüx", "abcdefghijklmn~\x7f\x7fmore");
  EXPECT_EQ(wide.lower, "abcdefghijklmno");
  EXPECT_EQ(wide.upper, "abcdefghijklmn\x7f");
  EXPECT_EQ(text("a", "\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f").upper,
            std::nullopt)
      << "no string of 16 bytes bounds it: no upper bound at all";
  format::column_summary ms;
  ms.field_id = 3;
  ms.type = kind::other;
  ms.min = ms.max = "12345678";
  EXPECT_FALSE(metrics_of(std::vector{ms}).at(0).lower);
}

TEST(iceberg_metrics, a_manifest_keeps_each_files_column_metrics_for_a_merge_to_carry_over) {
  data_file f{.path = "s3://b/t/data/f.parquet", .size = 100, .records = 3, .partition = 498778};
  f.columns = {
      {.field_id = 1, .bytes = 40, .values = 3, .nulls = 0, .lower = "a", .upper = "c"},
      {.field_id = 14, .bytes = 12, .values = 3, .nulls = 3, .lower = std::nullopt, .upper = std::nullopt},
      {.field_id = 20,
       .bytes = 9,
       .values = 3,
       .nulls = 1,
       .lower = std::string("\xff\xff\xff\xff", 4),
       .upper = std::string("\x05\0\0\0", 4)}};
  const std::string manifest = write_manifest(partitioning{}, 42, std::vector{f});
  manifest_file listed;
  listed.added_snapshot_id = 42;
  listed.sequence_number = 1;
  auto entries = read_manifest_entries(manifest, listed);
  ASSERT_TRUE(entries) << entries.err().message;
  ASSERT_EQ(entries->size(), 1U);
  EXPECT_EQ(entries->front().file.columns, f.columns);
}

TEST_F(iceberg_table_test, commits_build_versions_each_carrying_the_earlier_manifests) {
  auto t = open_table();
  ASSERT_TRUE(t.refresh());
  EXPECT_EQ(t.current(), nullptr);
  auto first = t.append(files(2, 498778), {{"clicktrail.kafka-offsets", R"({"0":5})"}});
  ASSERT_TRUE(first) << first.err().message;
  auto second = t.append(files(3, 498779), {});
  ASSERT_TRUE(second) << second.err().message;
  EXPECT_EQ(t.version(), 2);
  EXPECT_EQ(second->parent, first->id);
  EXPECT_EQ(second->summary.at("total-records"), "54");  // 10+11, then 10+11+12
  EXPECT_EQ(second->summary.at("total-data-files"), "5");

  // A fresh reader finds version 2 through the hint, and the list names both manifests.
  auto reader = open_table();
  ASSERT_TRUE(reader.refresh());
  ASSERT_NE(reader.current(), nullptr);
  EXPECT_EQ(reader.version(), 2);
  EXPECT_EQ(reader.current()->snapshots.size(), 2U);
  EXPECT_EQ(reader.current()->snapshots.front().summary.at("clicktrail.kafka-offsets"), R"({"0":5})");
  const std::string list_key =
      reader.current()->current()->manifest_list.substr(("file://" + dir_.string() + "/").size());
  auto list_bytes = store_->get(list_key);
  ASSERT_TRUE(list_bytes && *list_bytes);
  auto manifests = read_manifest_list(**list_bytes);
  ASSERT_TRUE(manifests) << manifests.err().message;
  ASSERT_EQ(manifests->size(), 2U);
  EXPECT_EQ((*manifests)[0].added_snapshot_id, second->id);
  EXPECT_EQ((*manifests)[0].lower, 498779);
  EXPECT_EQ((*manifests)[1].added_snapshot_id, first->id);
  EXPECT_EQ((*manifests)[1].sequence_number, 1);
  EXPECT_EQ((*manifests)[1].added_rows, 21);
}

TEST_F(iceberg_table_test, a_commit_without_files_moves_the_offsets_and_adds_no_manifest) {
  auto t = open_table();
  ASSERT_TRUE(t.refresh());
  auto first = t.append(files(2, 498778), {{"clicktrail.kafka-offsets", R"({"t":{"0":5}})"}});
  ASSERT_TRUE(first) << first.err().message;
  const auto metadata_files = [this] {
    std::size_t n = 0;
    for (const auto& f : fs::directory_iterator(dir_ / "metadata")) n += f.path().extension() == ".avro";
    return n;
  };
  const std::size_t before = metadata_files();
  auto empty = t.append({}, {{"clicktrail.kafka-offsets", R"({"t":{"0":9}})"}});
  ASSERT_TRUE(empty) << empty.err().message;
  EXPECT_EQ(empty->parent, first->id);
  EXPECT_EQ(empty->summary.at("clicktrail.kafka-offsets"), R"({"t":{"0":9}})");
  EXPECT_EQ(empty->summary.at("added-data-files"), "0");
  EXPECT_EQ(empty->summary.at("total-records"), "21");
  EXPECT_EQ(metadata_files(), before + 1) << "a manifest list and no manifest";
  auto list_bytes = store_->get(empty->manifest_list.substr(("file://" + dir_.string() + "/").size()));
  ASSERT_TRUE(list_bytes && *list_bytes);
  auto manifests = read_manifest_list(**list_bytes);
  ASSERT_TRUE(manifests) << manifests.err().message;
  ASSERT_EQ(manifests->size(), 1U);
  EXPECT_EQ((*manifests)[0].added_snapshot_id, first->id);

  // Nor does a new table's first commit, when it has no file yet.
  fs::remove_all(dir_ / "metadata");
  auto fresh = open_table();
  ASSERT_TRUE(fresh.refresh());
  auto none = fresh.append({}, {{"clicktrail.kafka-offsets", R"({"t":{"0":1}})"}});
  ASSERT_TRUE(none) << none.err().message;
  auto fresh_list = store_->get(none->manifest_list.substr(("file://" + dir_.string() + "/").size()));
  ASSERT_TRUE(fresh_list && *fresh_list);
  auto fresh_manifests = read_manifest_list(**fresh_list);
  ASSERT_TRUE(fresh_manifests) << fresh_manifests.err().message;
  EXPECT_TRUE(fresh_manifests->empty());
}

TEST_F(iceberg_table_test, the_tables_own_properties_set_its_upkeep) {
  auto t = open_table();
  ASSERT_TRUE(t.refresh());
  ASSERT_TRUE(t.append(files(1, 498778), {}));
  // As another engine would set them: `ALTER TABLE … SET TBLPROPERTIES`, a new metadata file.
  const auto set_properties = [this](const std::string& json) {
    const fs::path v1 = dir_ / "metadata" / "v1.metadata.json";
    std::ifstream in(v1);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto at = text.find("\"properties\":{");
    ASSERT_NE(at, std::string::npos);
    text.insert(at + 14, json + ",");
    std::ofstream(v1, std::ios::trunc) << text;
  };
  set_properties(R"("history.expire.max-snapshot-age-ms":"0","history.expire.min-snapshots-to-keep":"2",)"
                 R"("commit.manifest.min-count-to-merge":"2")");
  auto reader = open_table();
  ASSERT_TRUE(reader.refresh());
  for (int hour = 498779; hour < 498782; ++hour) ASSERT_TRUE(reader.append(files(1, hour), {}));
  ASSERT_EQ(reader.current()->snapshots.size(), 2U) << "the newest two kept, none older than 0 ms";
  auto list = store_->get(
      reader.current()->current()->manifest_list.substr(("file://" + dir_.string() + "/").size()));
  ASSERT_TRUE(list && *list);
  auto manifests = read_manifest_list(**list);
  ASSERT_TRUE(manifests) << manifests.err().message;
  EXPECT_EQ(manifests->size(), 2U) << "past 2 manifests the small ones merge";
  EXPECT_EQ(reader.current()->current()->summary.at("total-data-files"), "4");

  // A value that is none is refused, naming the property and the table.
  fs::remove_all(dir_ / "metadata");
  auto fresh = open_table();
  ASSERT_TRUE(fresh.refresh());
  ASSERT_TRUE(fresh.append(files(1, 498778), {}));
  set_properties(R"("history.expire.min-snapshots-to-keep":"many")");
  auto refused = open_table();
  ASSERT_TRUE(refused.refresh());
  auto r = refused.append(files(1, 498779), {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message.find("history.expire.min-snapshots-to-keep"), std::string::npos)
      << r.err().message;
  EXPECT_NE(r.err().message.find("v1.metadata.json"), std::string::npos) << r.err().message;
}

TEST_F(iceberg_table_test, a_writer_that_loses_the_race_commits_on_top_of_the_winner) {
  auto a = open_table();
  auto b = open_table();
  ASSERT_TRUE(a.append(files(1, 1), {}));
  bool raced = false;
  // B has read version 1; before it writes version 2, A takes version 2.
  auto made = b.append(files(1, 2), {},
                       [&](const table_metadata*) -> base::result<std::map<std::string, std::string>> {
                         if (!raced) {
                           raced = true;
                           if (auto s = a.append(files(1, 3), {}); !s) return std::move(s).err();
                         }
                         return std::map<std::string, std::string>{{"b", "on top"}};
                       });
  ASSERT_TRUE(made) << made.err().message;
  EXPECT_EQ(b.version(), 3);
  EXPECT_EQ(b.current()->snapshots.size(), 3U);
  EXPECT_EQ(made->summary.at("total-data-files"), "3");
  EXPECT_EQ(made->summary.at("b"), "on top");
  // What the lost attempt wrote was removed: two manifests and lists per commit kept, three commits.
  auto listed = store_->list("metadata/");
  ASSERT_TRUE(listed);
  int avro = 0;
  for (const auto& o : *listed) avro += o.key.ends_with(".avro") ? 1 : 0;
  EXPECT_EQ(avro, 6);
}

TEST_F(iceberg_table_test, small_manifests_are_merged_and_every_file_stays_in_the_table) {
  iceberg_table t(*store_, "file://" + dir_.string(), partitioning{}, table_upkeep{.merge_at = 10});
  constexpr int commits = 25;
  for (int i = 0; i < commits; ++i) ASSERT_TRUE(t.append(files(1, 498778 + i), {}));
  const std::string list_key =
      t.current()->current()->manifest_list.substr(("file://" + dir_.string() + "/").size());
  auto manifests = read_manifest_list(**store_->get(list_key));
  ASSERT_TRUE(manifests) << manifests.err().message;
  EXPECT_LE(manifests->size(), 11U);
  std::int64_t files_listed = 0, rows = 0;
  std::int32_t lowest = INT32_MAX;
  for (const manifest_file& m : *manifests) {
    files_listed += m.added_files + m.existing_files;
    rows += m.added_rows + m.existing_rows;
    lowest = std::min(lowest, *m.lower);
  }
  EXPECT_EQ(files_listed, commits);
  EXPECT_EQ(rows, 10 * commits);
  EXPECT_EQ(lowest, 498778);
  // Every data file of every commit is still referenced, with its own snapshot and sequence number.
  auto keys = t.referenced_keys();
  ASSERT_TRUE(keys) << keys.err().message;
  std::vector<manifest_entry> existing;
  for (const manifest_file& m : *manifests) {
    if (m.existing_files == 0) continue;
    auto entries =
        read_manifest_entries(**store_->get(m.path.substr(("file://" + dir_.string() + "/").size())), m);
    ASSERT_TRUE(entries) << entries.err().message;
    existing.insert(existing.end(), entries->begin(), entries->end());
  }
  ASSERT_FALSE(existing.empty());
  for (const manifest_entry& e : existing) {
    EXPECT_EQ(e.status, manifest_entry::state::existing);
    EXPECT_EQ(*e.sequence_number, e.file.partition - 498778 + 1) << e.file.path;  // the commit that added it
  }
}

TEST_F(iceberg_table_test, old_snapshots_expire_but_the_newest_stay) {
  iceberg_table t(*store_, "file://" + dir_.string(), partitioning{},
                  table_upkeep{.max_snapshot_age_ms = -1, .keep_snapshots = 3});
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(t.append(files(1, i), {}));
  ASSERT_EQ(t.current()->snapshots.size(), 3U);
  EXPECT_EQ(t.current()->current()->summary.at("total-data-files"), "8");  // the data is all there
}

TEST_F(iceberg_table_test, a_table_whose_schema_another_writer_changed_is_not_written_over) {
  auto t = open_table();
  ASSERT_TRUE(t.append(files(1, 1), {}));
  // Another writer renames a column in a new version of the metadata.
  auto text = store_->get("metadata/v1.metadata.json");
  ASSERT_TRUE(text && *text);
  std::string changed = **text;
  const std::string column = "\"name\":\"page_title\"";
  const auto at = changed.find(column);
  ASSERT_NE(at, std::string::npos);
  changed.replace(at, column.size(), "\"name\":\"title_text\"");
  ASSERT_TRUE(store_->put("metadata/v2.metadata.json", changed));
  auto refused = t.append(files(1, 2), {});
  ASSERT_FALSE(refused);
  EXPECT_NE(
      refused.err().message.find("the column \"14 title_text string\", which this version does not write"),
      std::string::npos)
      << refused.err().message;
  auto after = store_->head("metadata/v3.metadata.json");
  ASSERT_TRUE(after);
  EXPECT_FALSE(*after);
}

TEST_F(iceberg_table_test, a_table_an_older_version_made_gains_the_new_columns_as_a_new_schema) {
  auto t = open_table();
  ASSERT_TRUE(t.append(files(1, 1), {}));
  // An older clicktrail's table: the schema without the highest-numbered column.
  auto text = store_->get("metadata/v1.metadata.json");
  ASSERT_TRUE(text && *text);
  std::string older = **text;
  const event::field* newest = &event::all_fields()[0];
  for (const event::field& f : event::all_fields()) newest = f.id > newest->id ? &f : newest;
  ASSERT_FALSE(event::is_required(*newest));
  const std::string column = fmt::format(R"(,{{"id":{},"name":"{}",)", newest->id, newest->name);
  const auto at = older.find(column);
  ASSERT_NE(at, std::string::npos);
  older.erase(at, older.find('}', at) + 1 - at);
  const std::string last = fmt::format(R"("last-column-id":{})", newest->id);
  older.replace(older.find(last), last.size(), fmt::format(R"("last-column-id":{})", newest->id - 1));
  ASSERT_TRUE(store_->put("metadata/v2.metadata.json", older));
  ASSERT_TRUE(t.refresh());
  ASSERT_EQ(t.current()->columns.size(), schema_columns().size() - 1);

  auto made = t.append(files(1, 2), {});
  ASSERT_TRUE(made) << made.err().message;
  const table_metadata& now = *t.current();
  EXPECT_EQ(now.columns, schema_columns());
  EXPECT_EQ(now.current_schema_id, 1);
  ASSERT_EQ(now.schemas.size(), 2U);
  EXPECT_EQ(now.schemas[0].find(column), std::string::npos);  // the old schema, as it was
  EXPECT_NE(now.schemas[1].find(R"("schema-id":1)"), std::string::npos);
  EXPECT_EQ(now.last_column_id, newest->id);
  ASSERT_EQ(now.snapshots.size(), 2U);
  EXPECT_EQ(now.snapshots[0].schema_id, 0);  // written with the old schema
  EXPECT_EQ(now.snapshots[1].schema_id, 1);
  // The next commit finds its own schema current: no third one.
  ASSERT_TRUE(t.append(files(1, 3), {}));
  EXPECT_EQ(t.current()->schemas.size(), 2U);
}

TEST_F(iceberg_table_test, a_summary_that_refuses_the_version_below_stops_the_commit) {
  auto t = open_table();
  auto refused = t.append(files(1, 1), {},
                          [](const table_metadata*) -> base::result<std::map<std::string, std::string>> {
                            return base::error::conflict("the partition moved on");
                          });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.err().message, "the partition moved on");
  ASSERT_TRUE(t.refresh());
  EXPECT_EQ(t.current(), nullptr);
}

}  // namespace
}  // namespace clicktrail::table
