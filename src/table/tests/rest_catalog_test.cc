// What a commit through an Iceberg REST catalog asks of it: the requirements that make a stale
// writer's commit fail (409) and the updates that turn the version read into the next one.

#include "table/rest_catalog.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

namespace clicktrail::table {
namespace {

snapshot snap(std::int64_t id, std::optional<std::int64_t> parent) {
  return {.id = id,
          .parent = parent,
          .sequence_number = id,
          .timestamp_ms = 1000 * id,
          .schema_id = 0,
          .manifest_list = "s3://b/t/metadata/snap-" + std::to_string(id) + ".avro",
          .summary = {{"operation", "append"}}};
}

struct request {
  std::string body;
  simdjson::dom::parser parser;
  simdjson::dom::element root;

  explicit request(std::string b) : body(std::move(b)) { EXPECT_FALSE(parser.parse(body).get(root)) << body; }

  std::vector<std::string> of(const char* list, const char* key) {
    std::vector<std::string> out;
    for (const auto e : root[list].get_array()) out.emplace_back(std::string_view(e[key].get_string()));
    return out;
  }
  simdjson::dom::element nth(const char* list, std::size_t i) { return root[list].at(i).value(); }
};

TEST(rest_catalog_commit, adds_the_new_snapshot_on_main_as_long_as_main_is_where_it_was_read) {
  table_metadata was;
  was.table_uuid = "6c1a2b3c-0000-4000-8000-000000000000";
  was.schemas = {R"({"type":"struct","schema-id":0,"fields":[]})"};
  was.properties = {{"schema.name-mapping.default", "[]"}};
  was.snapshots = {snap(1, std::nullopt), snap(2, 1)};
  table_metadata next = was;
  next.snapshots.push_back(snap(3, 2));

  request r(commit_request(was, next));
  EXPECT_EQ(r.of("requirements", "type"),
            (std::vector<std::string>{"assert-table-uuid", "assert-ref-snapshot-id"}));
  EXPECT_EQ(std::string_view(r.nth("requirements", 0)["uuid"].get_string()), was.table_uuid);
  EXPECT_EQ(int64_t(r.nth("requirements", 1)["snapshot-id"]), 2);
  EXPECT_EQ(std::string_view(r.nth("requirements", 1)["ref"].get_string()), "main");
  // Only what changed: the one new snapshot (not the two carried), and main moved to it.
  EXPECT_EQ(r.of("updates", "action"), (std::vector<std::string>{"add-snapshot", "set-snapshot-ref"}));
  EXPECT_EQ(int64_t(r.nth("updates", 0)["snapshot"]["snapshot-id"]), 3);
  EXPECT_EQ(int64_t(r.nth("updates", 0)["snapshot"]["parent-snapshot-id"]), 2);
  EXPECT_EQ(std::string_view(r.nth("updates", 0)["snapshot"]["summary"]["operation"].get_string()), "append");
  EXPECT_EQ(int64_t(r.nth("updates", 1)["snapshot-id"]), 3);
}

TEST(rest_catalog_commit, on_a_table_without_snapshots_requires_main_to_be_absent) {
  table_metadata was;
  was.table_uuid = "u";
  table_metadata next = was;
  next.snapshots.push_back(snap(5, std::nullopt));
  request r(commit_request(was, next));
  EXPECT_TRUE(r.nth("requirements", 1)["snapshot-id"].is_null());
  EXPECT_EQ(r.of("updates", "action"), (std::vector<std::string>{"add-snapshot", "set-snapshot-ref"}));
}

TEST(rest_catalog_commit, carries_schema_evolution_changed_properties_and_expired_snapshots) {
  table_metadata was;
  was.table_uuid = "u";
  was.schemas = {R"({"type":"struct","schema-id":0,"fields":[]})"};
  was.current_schema_id = 0;
  was.properties = {{"a", "1"}, {"schema.name-mapping.default", "[old]"}};
  was.snapshots = {snap(1, std::nullopt), snap(2, 1)};
  table_metadata next = was;
  next.schemas.push_back(R"({"type":"struct","schema-id":1,"fields":[]})");
  next.current_schema_id = 1;
  next.last_column_id = 59;
  next.properties["schema.name-mapping.default"] = "[new]";
  next.snapshots.erase(next.snapshots.begin());  // expired
  next.snapshots.push_back(snap(3, 2));

  request r(commit_request(was, next));
  // A schema change also requires the schema read: two writers must not both evolve it.
  EXPECT_EQ(
      r.of("requirements", "type"),
      (std::vector<std::string>{"assert-table-uuid", "assert-ref-snapshot-id", "assert-current-schema-id"}));
  EXPECT_EQ(int64_t(r.nth("requirements", 2)["current-schema-id"]), 0);
  EXPECT_EQ(r.of("updates", "action"),
            (std::vector<std::string>{"add-schema", "set-current-schema", "set-properties", "add-snapshot",
                                      "set-snapshot-ref", "remove-snapshots"}));
  EXPECT_EQ(int64_t(r.nth("updates", 0)["schema"]["schema-id"]), 1);
  EXPECT_EQ(int64_t(r.nth("updates", 0)["last-column-id"]), 59);
  EXPECT_EQ(int64_t(r.nth("updates", 1)["schema-id"]), -1);  // the one added: the catalog numbers it
  // Only the property that changed.
  EXPECT_EQ(simdjson::minify(r.nth("updates", 2)["updates"]), R"({"schema.name-mapping.default":"[new]"})");
  EXPECT_EQ(simdjson::minify(r.nth("updates", 5)["snapshot-ids"]), "[1]");
}

}  // namespace
}  // namespace clicktrail::table
