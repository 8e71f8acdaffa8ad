#include "table/kafka_offsets.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>

#include "event/json_text.h"

namespace clicktrail::table {

std::optional<std::int64_t> kafka_offsets::of(std::string_view topic, std::int32_t partition) const {
  const auto t = by_topic.find(std::string(topic));
  if (t == by_topic.end()) return std::nullopt;
  const auto p = t->second.find(partition);
  if (p == t->second.end()) return std::nullopt;
  return p->second;
}

void kafka_offsets::set(std::string_view topic, std::int32_t partition, std::int64_t offset) {
  by_topic[std::string(topic)][partition] = offset;
}

std::string kafka_offsets::to_json() const {
  std::string out = "{";
  for (const auto& [topic, partitions] : by_topic) {
    if (out.size() > 1) out.push_back(',');
    event::write_string(out, topic);
    out += ":{";
    bool first = true;
    for (const auto& [p, offset] : partitions) {
      out += fmt::format("{}\"{}\":{}", first ? "" : ",", p, offset);
      first = false;
    }
    out.push_back('}');
  }
  out.push_back('}');
  return out;
}

base::result<kafka_offsets> kafka_offsets_of(const table_metadata* current) {
  kafka_offsets out;
  // The newest snapshot of the current one's lineage that records offsets: a commit by another
  // engine (a compaction by Spark, an insert by pyiceberg) carries no summary keys of ours.
  const std::string key(kafka_offsets_key);
  const auto parent_of = [&](const snapshot& child) -> const snapshot* {
    for (const snapshot& candidate : current->snapshots) {
      if (child.parent && candidate.id == *child.parent) return &candidate;
    }
    return nullptr;  // the first, or expired
  };
  const snapshot* s = current ? current->current() : nullptr;
  while (s != nullptr && !s->summary.contains(key)) s = parent_of(*s);
  if (s == nullptr) return out;
  const std::string& text = s->summary.at(key);
  const auto damaged = [&](std::string_view why) {
    return base::error::fail(
        fmt::format("the table's current snapshot {} has a {} that {}: {}; the sink's record of "
                    "what the table holds is damaged, so nothing is written until it is "
                    "repaired (docs/iceberg.md)",
                    s->id, kafka_offsets_key, why, text));
  };
  simdjson::dom::parser parser;
  simdjson::dom::object topics;
  if (parser.parse(text).get(topics)) return damaged("is not a JSON object");
  for (const auto topic : topics) {
    simdjson::dom::object partitions;
    if (topic.value.get(partitions)) return damaged("maps a topic to something other than an object");
    for (const auto p : partitions) {
      std::int32_t partition = 0;
      const auto [end, ec] = std::from_chars(p.key.data(), p.key.data() + p.key.size(), partition);
      std::int64_t offset = 0;
      if (ec != std::errc{} || end != p.key.data() + p.key.size() || partition < 0 || p.value.get(offset) ||
          offset < 0) {
        return damaged("has a partition or an offset that is not a whole number from 0");
      }
      out.set(topic.key, partition, offset);
    }
  }
  return out;
}

}  // namespace clicktrail::table
