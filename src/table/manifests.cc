#include "table/manifests.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <simdjson.h>

#include <algorithm>
#include <map>

#include "base/utf8.h"
#include "event/json_text.h"
#include "format/avro/binary.h"
#include "format/avro/container.h"
#include "format/avro/json_datum.h"
#include "format/avro/schema.h"

namespace clicktrail::table {
namespace {

namespace avro = format::avro;

// The column metrics maps, in the order and with the ids of the specification's data_file: an
// Avro map keyed by int is an array of key-value records.
// Each map holds one of a column's counts (`number`) or bounds (`bound`).
struct metrics_map {
  const char* name;
  int id, key_id, value_id;
  const char* value_type;
  std::optional<std::int64_t> column_metrics::*number;
  std::optional<std::string> column_metrics::*bound;
};
constexpr metrics_map metrics_maps[] = {
    {"column_sizes", 108, 117, 118, "long", &column_metrics::bytes, nullptr},
    {"value_counts", 109, 119, 120, "long", &column_metrics::values, nullptr},
    {"null_value_counts", 110, 121, 122, "long", &column_metrics::nulls, nullptr},
    {"lower_bounds", 125, 126, 127, "bytes", nullptr, &column_metrics::lower},
    {"upper_bounds", 128, 129, 130, "bytes", nullptr, &column_metrics::upper},
};

std::string metrics_fields() {
  std::vector<std::string> fields;
  for (const metrics_map& m : metrics_maps) {
    fields.push_back(fmt::format(
        R"({{"name":"{}","type":["null",{{"type":"array","logicalType":"map","items":{{"type":"record",)"
        R"("name":"k{}_v{}","fields":[{{"name":"key","type":"int","field-id":{}}},)"
        R"({{"name":"value","type":"{}","field-id":{}}}]}}}}],"default":null,"field-id":{}}})",
        m.name, m.key_id, m.value_id, m.key_id, m.value_type, m.value_id, m.id));
  }
  return fmt::format("{}", fmt::join(fields, ","));
}

bool holds(const metrics_map& m, const column_metrics& c) {
  return m.number ? (c.*m.number).has_value() : (c.*m.bound).has_value();
}

void put_metrics(std::string& datum, const std::vector<column_metrics>& columns) {
  for (const metrics_map& m : metrics_maps) {
    const auto present =
        std::count_if(columns.begin(), columns.end(), [&](const column_metrics& c) { return holds(m, c); });
    if (present == 0) {
      avro::put_long(datum, 0);  // null
      continue;
    }
    avro::put_long(datum, 1);  // the array branch, one block of `present` entries
    avro::put_long(datum, present);
    for (const column_metrics& c : columns) {
      if (!holds(m, c)) continue;
      avro::put_long(datum, c.field_id);
      if (m.number) {
        avro::put_long(datum, *(c.*m.number));
      } else {
        avro::put_bytes(datum, *(c.*m.bound));
      }
    }
    avro::put_long(datum, 0);  // end of the array
  }
}

// The smallest string above every string that starts with `prefix`, made by raising its last
// ASCII character below DEL (dropping what follows it); nullopt when there is none.
std::optional<std::string> rounded_up(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty()) {
    const auto last = static_cast<unsigned char>(out.back());
    if (last < 0x7F) {
      out.back() = static_cast<char>(last + 1);
      return out;
    }
    // Drop the last character, all its bytes.
    while (!out.empty() && base::utf8_continuation(static_cast<unsigned char>(out.back()))) out.pop_back();
    if (!out.empty()) out.pop_back();
  }
  return std::nullopt;
}

constexpr std::size_t text_bound_bytes = 16;

// The manifest entry schema (v2) with only what the specification requires, field ids as
// Iceberg names them; the partition record holds the one partition field.
std::string manifest_schema(const partitioning& p) {
  return fmt::format(
      R"({{"type":"record","name":"manifest_entry","fields":[)"
      R"({{"name":"status","type":"int","field-id":0}},)"
      R"({{"name":"snapshot_id","type":["null","long"],"default":null,"field-id":1}},)"
      R"({{"name":"sequence_number","type":["null","long"],"default":null,"field-id":3}},)"
      R"({{"name":"file_sequence_number","type":["null","long"],"default":null,"field-id":4}},)"
      R"({{"name":"data_file","field-id":2,"type":{{"type":"record","name":"r2","fields":[)"
      R"({{"name":"content","type":"int","field-id":134}},)"
      R"({{"name":"file_path","type":"string","field-id":100}},)"
      R"({{"name":"file_format","type":"string","field-id":101}},)"
      R"({{"name":"partition","field-id":102,"type":{{"type":"record","name":"r102","fields":[)"
      R"({{"name":"{}","type":{},"field-id":{}}}]}}}},)"
      R"({{"name":"record_count","type":"long","field-id":103}},)"
      R"({{"name":"file_size_in_bytes","type":"long","field-id":104}},{})"
      R"(]}}}}]}})",
      p.field_name(),
      p.by == partitioning::transform::day ? R"({"type":"int","logicalType":"date"})" : R"("int")",
      first_partition_field_id, metrics_fields());
}

constexpr std::string_view manifest_list_schema =
    R"({"type":"record","name":"manifest_file","fields":[)"
    R"({"name":"manifest_path","type":"string","field-id":500},)"
    R"({"name":"manifest_length","type":"long","field-id":501},)"
    R"({"name":"partition_spec_id","type":"int","field-id":502},)"
    R"({"name":"content","type":"int","field-id":517},)"
    R"({"name":"sequence_number","type":"long","field-id":515},)"
    R"({"name":"min_sequence_number","type":"long","field-id":516},)"
    R"({"name":"added_snapshot_id","type":"long","field-id":503},)"
    R"({"name":"added_files_count","type":"int","field-id":504},)"
    R"({"name":"existing_files_count","type":"int","field-id":505},)"
    R"({"name":"deleted_files_count","type":"int","field-id":506},)"
    R"({"name":"added_rows_count","type":"long","field-id":512},)"
    R"({"name":"existing_rows_count","type":"long","field-id":513},)"
    R"({"name":"deleted_rows_count","type":"long","field-id":514},)"
    R"({"name":"partitions","type":["null",{"type":"array","element-id":508,"items":)"
    R"({"type":"record","name":"r508","fields":[)"
    R"({"name":"contains_null","type":"boolean","field-id":509},)"
    R"({"name":"contains_nan","type":["null","boolean"],"default":null,"field-id":518},)"
    R"({"name":"lower_bound","type":["null","bytes"],"default":null,"field-id":510},)"
    R"({"name":"upper_bound","type":["null","bytes"],"default":null,"field-id":511}]}}],"default":null,"field-id":507}]})";

// Iceberg's single-value serialisation of an int: 4 bytes, little-endian.
std::string int_bound(std::int32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<char>((static_cast<std::uint32_t>(v) >> (8 * i)) & 0xFF);
  return out;
}

std::optional<std::int32_t> int_from_bound(std::string_view b) {
  if (b.size() != 4) return std::nullopt;
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[static_cast<std::size_t>(i)]);
  return static_cast<std::int32_t>(v);
}

}  // namespace

std::vector<column_metrics> metrics_of(std::span<const format::column_summary> columns) {
  using kind = format::column_summary::kind;
  std::vector<column_metrics> out;
  out.reserve(columns.size());
  for (const format::column_summary& c : columns) {
    column_metrics m;
    m.field_id = c.field_id;
    m.bytes = c.bytes;
    m.values = c.values;
    m.nulls = c.nulls;
    if (c.type == kind::text && c.min && c.max) {
      m.lower = std::string(event::cut_utf8(*c.min, text_bound_bytes));
      m.upper = c.max->size() <= text_bound_bytes ? std::optional(*c.max)
                                                  : rounded_up(event::cut_utf8(*c.max, text_bound_bytes));
    } else if (c.type != kind::other) {
      m.lower = c.min;
      m.upper = c.max;
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::string write_manifest_entries(const partitioning& p, std::span<const manifest_entry> entries,
                                   std::int32_t schema) {
  avro::container_writer w(manifest_schema(p), avro::codec::deflate,
                           {{"schema", schema_json(schema)},
                            {"schema-id", std::to_string(schema)},
                            {"partition-spec", partition_fields_json(p)},
                            {"partition-spec-id", std::to_string(spec_id)},
                            {"format-version", "2"},
                            {"content", "data"}},
                           avro::random_sync());
  const auto optional_long = [](std::string& out, const std::optional<std::int64_t>& v) {
    avro::put_long(out, v ? 1 : 0);  // the union's branch: null or long
    if (v) avro::put_long(out, *v);
  };
  std::string datum;
  for (const manifest_entry& e : entries) {
    datum.clear();
    avro::put_long(datum, static_cast<std::int32_t>(e.status));
    optional_long(datum, e.snapshot_id);
    optional_long(datum, e.sequence_number);
    optional_long(datum, e.file_sequence_number);
    avro::put_long(datum, 0);  // content: data
    avro::put_bytes(datum, e.file.path);
    avro::put_bytes(datum, "PARQUET");
    avro::put_long(datum, e.file.partition);
    avro::put_long(datum, e.file.records);
    avro::put_long(datum, e.file.size);
    put_metrics(datum, e.file.columns);
    w.append(datum);
  }
  return w.finish();
}

std::string write_manifest(const partitioning& p, std::int64_t snapshot_id, std::span<const data_file> files,
                           std::int32_t schema) {
  std::vector<manifest_entry> entries;
  entries.reserve(files.size());
  for (const data_file& f : files) {
    entries.push_back({.status = manifest_entry::state::added,
                       .snapshot_id = snapshot_id,
                       .sequence_number = std::nullopt,  // inherited from the manifest list
                       .file_sequence_number = std::nullopt,
                       .file = f});
  }
  return write_manifest_entries(p, entries, schema);
}

std::string write_manifest_list(std::int64_t snapshot_id, std::optional<std::int64_t> parent,
                                std::int64_t sequence, std::span<const manifest_file> manifests) {
  avro::container_writer w(std::string(manifest_list_schema), avro::codec::deflate,
                           {{"format-version", "2"},
                            {"snapshot-id", std::to_string(snapshot_id)},
                            {"parent-snapshot-id", parent ? std::to_string(*parent) : "null"},
                            {"sequence-number", std::to_string(sequence)}},
                           avro::random_sync());
  std::string datum;
  for (const manifest_file& m : manifests) {
    datum.clear();
    avro::put_bytes(datum, m.path);
    avro::put_long(datum, m.length);
    avro::put_long(datum, m.spec_id);
    avro::put_long(datum, m.content);
    avro::put_long(datum, m.sequence_number);
    avro::put_long(datum, m.min_sequence_number);
    avro::put_long(datum, m.added_snapshot_id);
    avro::put_long(datum, m.added_files);
    avro::put_long(datum, m.existing_files);
    avro::put_long(datum, m.deleted_files);
    avro::put_long(datum, m.added_rows);
    avro::put_long(datum, m.existing_rows);
    avro::put_long(datum, m.deleted_rows);
    if (m.lower && m.upper) {
      avro::put_long(datum, 1);      // partitions: the array branch
      avro::put_long(datum, 1);      // one partition field
      avro::put_bool(datum, false);  // contains_null
      avro::put_long(datum, 0);      // contains_nan: null
      avro::put_long(datum, 1);
      avro::put_bytes(datum, int_bound(*m.lower));
      avro::put_long(datum, 1);
      avro::put_bytes(datum, int_bound(*m.upper));
      avro::put_long(datum, 0);  // end of the array
    } else {
      avro::put_long(datum, 0);  // partitions: null
    }
    w.append(datum);
  }
  return w.finish();
}

namespace {

// Calls `each` with every datum of an Avro container file as a JSON element (Avro's JSON
// encoding): files from other writers may order or extend their records differently, and what
// is needed is picked by name.
template <class F>
base::status for_each_datum(std::string_view avro_file, F&& each) {
  auto file = avro::read_container(avro_file);
  if (!file) return std::move(file).err();
  const auto schema = avro::parse_schema(file->schema_json);
  if (!schema) return std::move(schema).err();
  simdjson::dom::parser parser;
  std::string json;
  for (const auto& block : file->blocks) {
    avro::decoder in(block.datums);
    for (std::int64_t i = 0; i < block.count; ++i) {
      json.clear();
      avro::datum_to_json(*schema, 0, in, json);
      if (!in.ok()) return base::error::reject(fmt::format("an entry is malformed: {}", in.error()));
      simdjson::dom::element e;
      if (parser.parse(json).get(e) != simdjson::SUCCESS) return base::error::reject("an entry is not JSON");
      if (auto s = each(e); !s) return s;
    }
  }
  return {};
}

}  // namespace

base::result<std::vector<std::string>> read_manifest_paths(std::string_view avro_file) {
  std::vector<std::string> out;
  auto s = for_each_datum(avro_file, [&](simdjson::dom::element e) -> base::status {
    std::string_view path;
    if (e["data_file"]["file_path"].get_string().get(path) != simdjson::SUCCESS)
      return base::error::reject("a manifest entry has no data_file.file_path");
    out.emplace_back(path);
    return {};
  });
  if (!s) return std::move(s).err();
  return out;
}

base::result<std::vector<manifest_file>> read_manifest_list(std::string_view avro_file) {
  std::vector<manifest_file> out;
  auto s = for_each_datum(avro_file, [&](simdjson::dom::element e) -> base::status {
    manifest_file m;
    std::string_view path;
    const auto long_of = [&](const char* name, auto& into) {
      std::int64_t v = 0;
      if (e[name].get_int64().get(v) == simdjson::SUCCESS)
        into = static_cast<std::remove_reference_t<decltype(into)>>(v);
    };
    if (e["manifest_path"].get_string().get(path) != simdjson::SUCCESS)
      return base::error::reject("a manifest list entry has no manifest_path");
    m.path = std::string(path);
    long_of("manifest_length", m.length);
    long_of("partition_spec_id", m.spec_id);
    long_of("content", m.content);
    long_of("sequence_number", m.sequence_number);
    long_of("min_sequence_number", m.min_sequence_number);
    long_of("added_snapshot_id", m.added_snapshot_id);
    long_of("added_files_count", m.added_files);
    long_of("existing_files_count", m.existing_files);
    long_of("deleted_files_count", m.deleted_files);
    long_of("added_rows_count", m.added_rows);
    long_of("existing_rows_count", m.existing_rows);
    long_of("deleted_rows_count", m.deleted_rows);
    // partitions: {"array": [{"contains_null": …, "lower_bound": {"bytes": "…"}, …}]}
    simdjson::dom::array parts;
    if (e["partitions"]["array"].get_array().get(parts) == simdjson::SUCCESS && parts.size() == 1) {
      std::string_view lower, upper;
      const auto first = *parts.begin();
      if (first["lower_bound"]["bytes"].get_string().get(lower) == simdjson::SUCCESS &&
          first["upper_bound"]["bytes"].get_string().get(upper) == simdjson::SUCCESS) {
        const auto lower_bytes = avro::bytes_from_json(lower), upper_bytes = avro::bytes_from_json(upper);
        if (lower_bytes && upper_bytes) {
          m.lower = int_from_bound(*lower_bytes);
          m.upper = int_from_bound(*upper_bytes);
        }
      }
    }
    out.push_back(std::move(m));
    return {};
  });
  if (!s) return std::move(s).err();
  return out;
}

namespace {

// A data file's column metrics maps, from any writer ({"array": [{"key": id, "value": …}]}, or
// null): a merged manifest keeps them, and its files stay skippable.
base::status read_metrics(simdjson::dom::element file, std::vector<column_metrics>& columns) {
  std::map<std::int32_t, column_metrics> by_id;
  for (const metrics_map& m : metrics_maps) {
    simdjson::dom::array entries;
    if (file[m.name]["array"].get_array().get(entries) != simdjson::SUCCESS) continue;
    for (simdjson::dom::element entry : entries) {
      std::int64_t id = 0;
      if (entry["key"].get_int64().get(id) != simdjson::SUCCESS)
        return base::error::reject(
            fmt::format("a manifest entry's {} has a key that is no field id", m.name));
      column_metrics& c = by_id[static_cast<std::int32_t>(id)];
      c.field_id = static_cast<std::int32_t>(id);
      std::int64_t n = 0;
      std::string_view text;
      if (m.number) {
        if (entry["value"].get_int64().get(n) == simdjson::SUCCESS) c.*m.number = n;
      } else if (entry["value"].get_string().get(text) == simdjson::SUCCESS) {
        c.*m.bound = avro::bytes_from_json(text);
      }
    }
  }
  for (auto& [id, c] : by_id) columns.push_back(std::move(c));
  return {};
}

}  // namespace

base::result<std::vector<manifest_entry>> read_manifest_entries(std::string_view avro_file,
                                                                const manifest_file& listed) {
  std::vector<manifest_entry> out;
  auto s = for_each_datum(avro_file, [&](simdjson::dom::element e) -> base::status {
    manifest_entry m;
    std::int64_t v = 0;
    if (e["status"].get_int64().get(v) != simdjson::SUCCESS || v < 0 || v > 2)
      return base::error::reject("a manifest entry has no status 0, 1 or 2");
    m.status = static_cast<manifest_entry::state>(v);
    // Inherited when null: the snapshot that added the manifest, and its sequence number.
    m.snapshot_id =
        e["snapshot_id"]["long"].get_int64().get(v) == simdjson::SUCCESS ? v : listed.added_snapshot_id;
    m.sequence_number =
        e["sequence_number"]["long"].get_int64().get(v) == simdjson::SUCCESS ? v : listed.sequence_number;
    m.file_sequence_number =
        e["file_sequence_number"]["long"].get_int64().get(v) == simdjson::SUCCESS ? v : *m.sequence_number;
    const simdjson::dom::element f = e["data_file"];
    std::string_view path;
    if (f["file_path"].get_string().get(path) != simdjson::SUCCESS ||
        f["record_count"].get_int64().get(m.file.records) != simdjson::SUCCESS ||
        f["file_size_in_bytes"].get_int64().get(m.file.size) != simdjson::SUCCESS)
      return base::error::reject(
          "a manifest entry lacks data_file.file_path, record_count or file_size_in_bytes");
    m.file.path = std::string(path);
    // The one partition field, whatever its name.
    simdjson::dom::object partition;
    if (f["partition"].get_object().get(partition) != simdjson::SUCCESS || partition.size() != 1 ||
        (*partition.begin()).value.get_int64().get(v) != simdjson::SUCCESS)
      return base::error::reject("a manifest entry's partition is not one whole number");
    m.file.partition = static_cast<std::int32_t>(v);
    if (auto read = read_metrics(f, m.file.columns); !read) return read;
    out.push_back(std::move(m));
    return {};
  });
  if (!s) return std::move(s).err();
  return out;
}

}  // namespace clicktrail::table
