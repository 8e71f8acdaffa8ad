#pragma once
// The sink's commit record inside the table (docs/iceberg.md, "Commits"): each snapshot's summary
// carries `clicktrail.kafka-offsets`, for every Kafka partition the table holds the offset below
// which all its records are in the table, as {"topic":{"partition":offset,…},…}. A commit
// carries the whole map over from the snapshot it builds on, with its own partitions moved.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "table/table_metadata.h"

namespace clicktrail::table {

inline constexpr std::string_view kafka_offsets_key = "clicktrail.kafka-offsets";

struct kafka_offsets {
  std::map<std::string, std::map<std::int32_t, std::int64_t>> by_topic;

  std::optional<std::int64_t> of(std::string_view topic, std::int32_t partition) const;
  void set(std::string_view topic, std::int32_t partition, std::int64_t offset);
  std::string to_json() const;
};

// The map of the table's current snapshot, or of its newest ancestor that has one (a commit by
// another engine records none, and clicktrail's own commits carry the map over): empty for a
// table without snapshots, or whose writers never recorded offsets. An error for a map that is not
// one: the table's commit record is damaged, and guessing would write events twice or never.
base::result<kafka_offsets> kafka_offsets_of(const table_metadata* current);

}  // namespace clicktrail::table
