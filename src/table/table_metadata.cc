#include "table/table_metadata.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>

#include "event/fields.h"
#include "event/json_text.h"

namespace clicktrail::table {
namespace {

namespace dom = simdjson::dom;

}  // namespace

void write_string_map(std::string& out, const std::map<std::string, std::string>& m) {
  out.push_back('{');
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out.push_back(',');
    first = false;
    event::write_member(out, k, v);
  }
  out.push_back('}');
}

std::string snapshot_json(const snapshot& s) {
  std::string out = fmt::format("{{\"snapshot-id\":{}", s.id);
  if (s.parent) out += fmt::format(",\"parent-snapshot-id\":{}", *s.parent);
  out += fmt::format(",\"sequence-number\":{},\"timestamp-ms\":{},\"schema-id\":{},\"manifest-list\":",
                     s.sequence_number, s.timestamp_ms, s.schema_id);
  event::write_string(out, s.manifest_list);
  out += ",\"summary\":";
  write_string_map(out, s.summary);
  out.push_back('}');
  return out;
}

std::optional<std::int64_t> metadata_version_of(std::string_view uri) {
  const auto slash = uri.rfind('/');
  std::string_view name = slash == std::string_view::npos ? uri : uri.substr(slash + 1);
  if (!name.ends_with(".metadata.json")) return std::nullopt;
  if (name.starts_with('v')) name.remove_prefix(1);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
  if (ec != std::errc{} || end == name.data() || (*end != '.' && *end != '-')) return std::nullopt;
  return v;
}

std::string to_json(const table_metadata& m) {
  std::string out = "{\"format-version\":2,\"table-uuid\":";
  event::write_string(out, m.table_uuid);
  out += ",\"location\":";
  event::write_string(out, m.location);
  out += fmt::format(",\"last-sequence-number\":{},\"last-updated-ms\":{},\"last-column-id\":{}",
                     m.last_sequence_number, m.last_updated_ms, m.last_column_id);
  out += ",\"schemas\":[";
  for (std::size_t i = 0; i < m.schemas.size(); ++i) out += (i ? "," : "") + m.schemas[i];
  out += fmt::format("],\"current-schema-id\":{}", m.current_schema_id);
  out += fmt::format(
      R"(,"partition-specs":[{{"spec-id":{},"fields":{}}}],"default-spec-id":{},"last-partition-id":{})",
      spec_id, partition_fields_json(m.partition), spec_id, first_partition_field_id);
  out += R"(,"sort-orders":[{"order-id":0,"fields":[]}],"default-sort-order-id":0)";
  out += ",\"properties\":";
  write_string_map(out, m.properties);
  if (const snapshot* s = m.current()) {
    out += fmt::format(",\"current-snapshot-id\":{}", s->id);
    out += fmt::format(R"(,"refs":{{"main":{{"snapshot-id":{},"type":"branch"}}}})", s->id);
  } else {
    out += ",\"current-snapshot-id\":-1";
  }
  out += ",\"snapshots\":[";
  for (std::size_t i = 0; i < m.snapshots.size(); ++i) {
    if (i) out.push_back(',');
    out += snapshot_json(m.snapshots[i]);
  }
  out += "],\"snapshot-log\":[";
  for (std::size_t i = 0; i < m.snapshots.size(); ++i) {
    if (i) out.push_back(',');
    out += fmt::format(R"({{"timestamp-ms":{},"snapshot-id":{}}})", m.snapshots[i].timestamp_ms,
                       m.snapshots[i].id);
  }
  out += "],\"metadata-log\":[";
  for (std::size_t i = 0; i < m.metadata_log.size(); ++i) {
    if (i) out.push_back(',');
    out += fmt::format("{{\"timestamp-ms\":{},\"metadata-file\":", m.metadata_log[i].first);
    event::write_string(out, m.metadata_log[i].second);
    out.push_back('}');
  }
  out += "]}";
  return out;
}

base::result<table_metadata> parse_table_metadata(std::string_view json) {
  const auto bad = [](std::string why) {
    return base::error::reject(
        fmt::format("the table's metadata is not one this version can commit to: {}", why));
  };
  dom::parser parser;
  dom::element root;
  if (const auto error = parser.parse(json.data(), json.size()).get(root))
    return bad(fmt::format("not JSON ({})", simdjson::error_message(error)));
  table_metadata m;
  std::int64_t version = 0;
  if (root["format-version"].get_int64().get(version) != simdjson::SUCCESS || version != 2)
    return bad("format-version is not 2");
  std::string_view text;
  if (root["table-uuid"].get_string().get(text) != simdjson::SUCCESS) return bad("no table-uuid");
  m.table_uuid = std::string(text);
  if (root["location"].get_string().get(text) != simdjson::SUCCESS) return bad("no location");
  m.location = std::string(text);
  if (root["last-sequence-number"].get_int64().get(m.last_sequence_number) != simdjson::SUCCESS)
    return bad("no last-sequence-number");
  if (root["last-updated-ms"].get_int64().get(m.last_updated_ms) != simdjson::SUCCESS)
    return bad("no last-updated-ms");

  // The default spec: one hour or day transform of a timestamp column.
  std::int64_t default_spec = 0;
  if (root["default-spec-id"].get_int64().get(default_spec) != simdjson::SUCCESS)
    return bad("no default-spec-id");
  dom::array specs;
  if (root["partition-specs"].get_array().get(specs) != simdjson::SUCCESS) return bad("no partition-specs");
  bool found_spec = false;
  for (const dom::element spec : specs) {
    std::int64_t id = -1;
    if (spec["spec-id"].get_int64().get(id) != simdjson::SUCCESS || id != default_spec) continue;
    dom::array fields;
    if (spec["fields"].get_array().get(fields) != simdjson::SUCCESS || fields.size() != 1)
      return bad("its partition spec is not one field");
    const dom::element f = *fields.begin();
    std::int64_t source_id = 0;
    std::string_view transform;
    if (f["source-id"].get_int64().get(source_id) != simdjson::SUCCESS ||
        f["transform"].get_string().get(transform) != simdjson::SUCCESS ||
        (transform != "hour" && transform != "day"))
      return bad("its partition spec is not hour() or day() of a column");
    const event::field* source = nullptr;
    for (const event::field& e : event::all_fields()) {
      if (e.id == source_id && e.check == event::rule::unix_ms) source = &e;
    }
    if (source == nullptr)
      return bad(fmt::format("its partition spec's source column {} is not a timestamp", source_id));
    m.partition.source = std::string(source->name);
    m.partition.by = transform == "hour" ? partitioning::transform::hour : partitioning::transform::day;
    found_spec = true;
  }
  if (!found_spec) return bad("its default partition spec is missing");

  // The current schema's columns.
  std::int64_t current_schema = 0;
  if (root["current-schema-id"].get_int64().get(current_schema) != simdjson::SUCCESS)
    return bad("no current-schema-id");
  m.current_schema_id = static_cast<std::int32_t>(current_schema);
  std::int64_t last_column = 0;
  if (root["last-column-id"].get_int64().get(last_column) != simdjson::SUCCESS)
    return bad("no last-column-id");
  m.last_column_id = static_cast<std::int32_t>(last_column);
  dom::array schemas;
  if (root["schemas"].get_array().get(schemas) != simdjson::SUCCESS) return bad("no schemas");
  for (const dom::element schema : schemas) {
    m.schemas.push_back(simdjson::minify(schema));
    std::int64_t id = -1;
    if (schema["schema-id"].get_int64().get(id) != simdjson::SUCCESS) return bad("a schema has no schema-id");
    m.highest_schema_id = std::max(m.highest_schema_id, static_cast<std::int32_t>(id));
    if (id != current_schema) continue;
    dom::array fields;
    if (schema["fields"].get_array().get(fields) != simdjson::SUCCESS)
      return bad("its current schema has no fields");
    for (const dom::element f : fields) {
      std::int64_t field_id = 0;
      std::string_view name, type;
      if (f["id"].get_int64().get(field_id) != simdjson::SUCCESS ||
          f["name"].get_string().get(name) != simdjson::SUCCESS)
        return bad("a column of its current schema has no id or name");
      if (f["type"].get_string().get(type) != simdjson::SUCCESS) type = "(nested)";
      m.columns.push_back(fmt::format("{} {} {}", field_id, name, type));
    }
  }
  if (m.columns.empty()) return bad("its current schema is missing");

  dom::object properties;
  if (root["properties"].get_object().get(properties) == simdjson::SUCCESS) {
    for (const auto p : properties) {
      if (p.value.get_string().get(text) == simdjson::SUCCESS)
        m.properties[std::string(p.key)] = std::string(text);
    }
  }
  std::int64_t current = -1;
  if (root["current-snapshot-id"].get_int64().get(current) != simdjson::SUCCESS) current = -1;
  dom::array snapshots;
  if (root["snapshots"].get_array().get(snapshots) == simdjson::SUCCESS) {
    for (const dom::element e : snapshots) {
      snapshot s;
      if (e["snapshot-id"].get_int64().get(s.id) != simdjson::SUCCESS ||
          e["timestamp-ms"].get_int64().get(s.timestamp_ms) != simdjson::SUCCESS ||
          e["manifest-list"].get_string().get(text) != simdjson::SUCCESS)
        return bad("a snapshot lacks snapshot-id, timestamp-ms or manifest-list");
      s.manifest_list = std::string(text);
      std::int64_t parent = 0;
      if (e["parent-snapshot-id"].get_int64().get(parent) == simdjson::SUCCESS) s.parent = parent;
      if (e["sequence-number"].get_int64().get(s.sequence_number) != simdjson::SUCCESS) s.sequence_number = 0;
      std::int64_t schema = 0;  // optional in the specification: the current one then
      if (e["schema-id"].get_int64().get(schema) != simdjson::SUCCESS) schema = current_schema;
      s.schema_id = static_cast<std::int32_t>(schema);
      dom::object summary;
      if (e["summary"].get_object().get(summary) == simdjson::SUCCESS) {
        for (const auto kv : summary) {
          if (kv.value.get_string().get(text) == simdjson::SUCCESS)
            s.summary[std::string(kv.key)] = std::string(text);
        }
      }
      m.snapshots.push_back(std::move(s));
    }
  }
  // Keep the current snapshot last: this writer appends after it.
  if (current >= 0) {
    const auto it = std::find_if(m.snapshots.begin(), m.snapshots.end(),
                                 [&](const snapshot& s) { return s.id == current; });
    if (it == m.snapshots.end()) return bad("current-snapshot-id names no snapshot");
    std::rotate(it, it + 1, m.snapshots.end());
  } else if (!m.snapshots.empty()) {
    return bad("it has snapshots but no current one");
  }
  dom::array log;
  if (root["metadata-log"].get_array().get(log) == simdjson::SUCCESS) {
    for (const dom::element e : log) {
      std::int64_t at = 0;
      if (e["timestamp-ms"].get_int64().get(at) == simdjson::SUCCESS &&
          e["metadata-file"].get_string().get(text) == simdjson::SUCCESS)
        m.metadata_log.emplace_back(at, std::string(text));
    }
  }
  return m;
}

}  // namespace clicktrail::table
