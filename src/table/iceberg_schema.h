#pragma once
// The Iceberg view of the schema-v1 event (docs/iceberg.md): the table schema, with each
// column's fixed id from the field table; the partition spec that follows the sink's time
// layout; the name mapping for files without field ids; and partition values.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clicktrail::table {

// The partition spec: hour or day of one timestamp column.
struct partitioning {
  enum class transform : std::uint8_t { hour, day };
  std::string source = "collector_ts";  // a timestamp field of the schema
  transform by = transform::hour;

  friend bool operator==(const partitioning&, const partitioning&) = default;

  std::string field_name() const;  // "collector_ts_hour"
  // The partition value of a time in ms since 1970: hours or days since 1970, floored.
  std::int32_t value_of(std::int64_t unix_ms) const;
  // When a partition's time range ends (exclusive), in ms since 1970.
  std::int64_t end_of(std::int32_t value) const;
  std::int64_t unit_ms() const;  // an hour or a day
  // The directory of a partition's data files under data/: "collector_ts_hour=2026-11-25-10".
  std::string directory(std::int32_t value) const;
};

inline constexpr std::int32_t schema_id = 0;  // a new table's schema
inline constexpr std::int32_t spec_id = 0;
inline constexpr std::int32_t first_partition_field_id = 1000;  // the specification's convention

// {"type":"struct","schema-id":0,"fields":[{"id":1,"name":"event_id","required":true,"type":"string"},…]}
std::string schema_json(std::int32_t id = schema_id);
// This version's columns, "id name type" each, in order (as table_metadata::columns).
std::vector<std::string> schema_columns();
// The highest column id (last-column-id).
std::int32_t last_column_id();
// The spec's fields array, [{"source-id":6,"field-id":1000,"transform":"hour","name":"collector_ts_hour"}].
std::string partition_fields_json(const partitioning& p);
// schema.name-mapping.default: [{"field-id":1,"names":["event_id"]},…].
std::string name_mapping_json();

}  // namespace clicktrail::table
