// Replace snapshots, compaction's commits: the files they take out leave every reader's view, the
// others stay, and a replace that meets another writer's commit builds on it or is refused.

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "table/iceberg_table.h"
#include "table/tests/table_store_test.h"

namespace clicktrail::table {
namespace {

using replace_test = table_store_test;

std::set<std::string> live_paths(iceberg_table& t) {
  auto live = t.live_files();
  EXPECT_TRUE(live) << live.err().message;
  std::set<std::string> out;
  for (const manifest_entry& e : *live) out.insert(e.file.path);
  return out;
}

TEST_F(replace_test, a_replace_takes_its_files_out_and_keeps_every_other) {
  auto t = open_table();
  const auto first = files(2, 498778), other = files(2, 498779);
  auto second = files(1, 498778);
  second[0].path += ".b";  // one more of hour 498778, committed with hour 498779's files
  ASSERT_TRUE(t.append(first, {{"clicktrail.kafka-offsets", R"({"t":{"0":5}})"}}));
  ASSERT_TRUE(t.append({second[0], other[0], other[1]}, {}));
  data_file compacted{.path = "file://" + dir_.string() + "/data/compacted.parquet",
                      .size = 2500,
                      .records = 30,
                      .partition = 498778};
  auto made = t.commit({.added = {compacted}, .removed = {first[0], first[1], second[0]}}, {});
  ASSERT_TRUE(made) << made.err().message;
  EXPECT_EQ(made->summary.at("operation"), "replace");
  EXPECT_EQ(made->summary.at("deleted-data-files"), "3");
  EXPECT_EQ(made->summary.at("total-data-files"), "3");
  EXPECT_EQ(made->summary.at("total-records"), std::to_string(10 + 11 + 30));
  EXPECT_EQ(made->summary.at("clicktrail.kafka-offsets"), R"({"t":{"0":5}})") << "carried over";
  EXPECT_EQ(live_paths(t), (std::set<std::string>{compacted.path, other[0].path, other[1].path}));

  // The rewritten manifests record the deletions as this snapshot's, and a fresh reader agrees.
  auto reader = open_table();
  ASSERT_TRUE(reader.refresh());
  EXPECT_EQ(live_paths(reader), live_paths(t));
  auto manifests = read_manifest_list(**store_->get(made->manifest_list.substr(dir_.string().size() + 8)));
  ASSERT_TRUE(manifests) << manifests.err().message;
  int deleted = 0;
  for (const manifest_file& m : *manifests) {
    auto entries = read_manifest_entries(**store_->get(m.path.substr(dir_.string().size() + 8)), m);
    ASSERT_TRUE(entries) << entries.err().message;
    for (const manifest_entry& e : *entries) {
      if (e.status != manifest_entry::state::deleted) continue;
      ++deleted;
      EXPECT_EQ(e.snapshot_id, made->id);
      EXPECT_EQ(m.added_snapshot_id, made->id);
    }
  }
  EXPECT_EQ(deleted, 3);
  // The next commit leaves out the manifest that lists only deleted files.
  auto next = t.append(files(1, 498780), {});
  ASSERT_TRUE(next) << next.err().message;
  auto after = read_manifest_list(**store_->get(next->manifest_list.substr(dir_.string().size() + 8)));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->size(), manifests->size());  // one added, the first commit's (all deleted) left out
  for (const manifest_file& m : *after) EXPECT_GT(m.added_files + m.existing_files, 0) << m.path;
  EXPECT_EQ(live_paths(t).size(), 4U);
}

TEST_F(replace_test, a_replace_that_loses_the_race_to_an_append_keeps_the_appended_file) {
  auto t = open_table();
  auto sink = open_table();
  const auto small = files(3, 498778);
  ASSERT_TRUE(t.append(small, {}));
  const auto late = files(1, 498779);
  bool raced = false;
  data_file compacted{
      .path = "file://" + dir_.string() + "/data/c.parquet", .size = 9, .records = 33, .partition = 498778};
  auto made =
      t.commit({.added = {compacted}, .removed = small}, {},
               [&](const table_metadata*) -> base::result<std::map<std::string, std::string>> {
                 if (!raced) {
                   raced = true;
                   if (auto s = sink.append(late, {{"clicktrail.kafka-offsets", R"({"t":{"0":7}})"}}); !s)
                     return std::move(s).err();
                 }
                 return std::map<std::string, std::string>{};
               });
  ASSERT_TRUE(made) << made.err().message;
  EXPECT_EQ(t.version(), 3);
  EXPECT_EQ(live_paths(t), (std::set<std::string>{compacted.path, late[0].path}));
  EXPECT_EQ(made->summary.at("clicktrail.kafka-offsets"), R"({"t":{"0":7}})")
      << "the sink's, from the winner";
}

TEST_F(replace_test, of_two_replaces_of_the_same_files_one_commits_and_the_other_is_refused) {
  auto a = open_table();
  auto b = open_table();
  const auto small = files(2, 498778);
  ASSERT_TRUE(a.append(small, {}));
  data_file by_a{
      .path = "file://" + dir_.string() + "/data/a.parquet", .size = 9, .records = 21, .partition = 498778};
  data_file by_b = by_a;
  by_b.path = "file://" + dir_.string() + "/data/b.parquet";
  ASSERT_TRUE(a.commit({.added = {by_a}, .removed = small}, {}));
  ASSERT_TRUE(b.refresh());
  auto refused = b.commit({.added = {by_b}, .removed = small}, {});
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.err().conflicting()) << refused.err().message;
  EXPECT_NE(refused.err().message.find("another compaction"), std::string::npos) << refused.err().message;
  EXPECT_EQ(live_paths(b), (std::set<std::string>{by_a.path}));
  EXPECT_EQ(b.version(), 2);
  // What the refused attempt wrote is gone: a manifest and a list for each of the two commits.
  auto listed = store_->list("metadata/");
  ASSERT_TRUE(listed);
  int avro = 0;
  for (const auto& o : *listed) avro += o.key.ends_with(".avro") ? 1 : 0;
  EXPECT_EQ(avro, 2 + 3)
      << "the append's manifest and list; the replace's new and rewritten manifests and list";
}

}  // namespace
}  // namespace clicktrail::table
