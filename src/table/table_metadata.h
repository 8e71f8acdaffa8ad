#pragma once
// Iceberg v2 table metadata (the specification's "Table Metadata"): the JSON file of one version
// of the table, which a commit writes whole as the next metadata/v<N>.metadata.json. What this
// writer keeps of it: the table's identity and location, its schemas, properties and snapshots.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "table/iceberg_schema.h"

namespace clicktrail::table {

struct snapshot {
  std::int64_t id = 0;
  std::optional<std::int64_t> parent;
  std::int64_t sequence_number = 0;
  std::int64_t timestamp_ms = 0;
  std::int32_t schema_id = 0;                  // the schema it was written with
  std::string manifest_list;                   // absolute URI
  std::map<std::string, std::string> summary;  // "operation" and the rest, all strings
};

struct table_metadata {
  std::string table_uuid;
  std::string location;  // absolute URI of the table's root
  partitioning partition;
  std::int64_t last_sequence_number = 0;
  std::int64_t last_updated_ms = 0;
  std::map<std::string, std::string> properties;
  std::vector<snapshot> snapshots;  // oldest first; the last is the current one
  // Earlier metadata files, for the metadata-log: {timestamp-ms, metadata-file}.
  std::vector<std::pair<std::int64_t, std::string>> metadata_log;
  // The current schema's columns as the file has them, "id name type" each, in order: compared
  // with this version's before a commit (iceberg_table evolves the schema when this version only
  // adds optional columns).
  std::vector<std::string> columns;
  // Every schema the table has had, as its JSON (written back as it was read), and which is
  // current.
  std::vector<std::string> schemas;
  std::int32_t current_schema_id = schema_id;
  std::int32_t highest_schema_id = schema_id;
  std::int32_t last_column_id = 0;  // the highest column id any of them used

  const snapshot* current() const { return snapshots.empty() ? nullptr : &snapshots.back(); }
};

std::string to_json(const table_metadata& m);
// One entry of "snapshots", as to_json writes it and a REST catalog's add-snapshot takes it.
std::string snapshot_json(const snapshot& s);
// A JSON object of strings: {"k":"v",…}.
void write_string_map(std::string& out, const std::map<std::string, std::string>& m);

// The version number of an Iceberg metadata file's name: 12 for ".../v12.metadata.json" (ours,
// and Hadoop tables') and for ".../00012-<uuid>.metadata.json" (catalogs' naming); nullopt for
// anything else.
std::optional<std::int64_t> metadata_version_of(std::string_view uri);
// Reads a metadata file, ours or another writer's: its identity, location, properties,
// snapshots and the current snapshot's lineage. A partition spec other than one hour or day
// transform of a timestamp column is an error that says so.
base::result<table_metadata> parse_table_metadata(std::string_view json);

}  // namespace clicktrail::table
