#include "table/iceberg_schema.h"

#include <fmt/format.h>

#include <chrono>

#include "event/fields.h"
#include "event/json_text.h"

namespace clicktrail::table {
namespace {

// Each field's Iceberg type; the Parquet writer stores the same kinds (src/format/parquet/column.cc).
const char* iceberg_type(const event::field& f) {
  switch (event::kind_of(f)) {
    case event::value_kind::text:
    case event::value_kind::json:
      return "string";
    case event::value_kind::timestamp:
      return "timestamptz";
    case event::value_kind::int64:
      return "long";
    case event::value_kind::int32:
      return "int";
    case event::value_kind::boolean:
      return "boolean";
  }
  return "string";
}

const event::field& source_field(const partitioning& p) {
  const event::field* f = event::find_field(p.source);
  return f != nullptr ? *f : *event::find_field("collector_ts");
}

}  // namespace

std::string partitioning::field_name() const {
  return fmt::format("{}_{}", source, by == transform::hour ? "hour" : "day");
}

std::int64_t partitioning::unit_ms() const {
  return by == transform::hour ? 3'600'000 : 86'400'000;
}

std::int64_t partitioning::end_of(std::int32_t value) const {
  return (std::int64_t{value} + 1) * unit_ms();
}

std::int32_t partitioning::value_of(std::int64_t unix_ms) const {
  const std::int64_t unit = unit_ms();
  const std::int64_t q = unix_ms / unit;
  return static_cast<std::int32_t>(unix_ms % unit < 0 ? q - 1 : q);
}

std::string partitioning::directory(std::int32_t value) const {
  using namespace std::chrono;
  const sys_time<hours> start{hours(by == transform::hour ? value : std::int64_t{value} * 24)};
  const sys_days day = floor<days>(start);
  const year_month_day ymd(day);
  const std::string date = fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  if (by == transform::day) return fmt::format("{}={}", field_name(), date);
  return fmt::format("{}={}-{:02}", field_name(), date, (start - day).count());
}

std::string schema_json(std::int32_t id) {
  std::string out = fmt::format(R"({{"type":"struct","schema-id":{},"fields":[)", id);
  bool first = true;
  for (const event::field& f : event::all_fields()) {
    if (!first) out.push_back(',');
    first = false;
    out += fmt::format(R"({{"id":{},"name":)", f.id);
    event::write_string(out, f.name);
    out += fmt::format(R"(,"required":{},"type":"{}"}})", event::is_required(f) ? "true" : "false",
                       iceberg_type(f));
  }
  out += "]}";
  return out;
}

std::vector<std::string> schema_columns() {
  std::vector<std::string> out;
  for (const event::field& f : event::all_fields())
    out.push_back(fmt::format("{} {} {}", f.id, f.name, iceberg_type(f)));
  return out;
}

std::int32_t last_column_id() {
  std::int32_t last = 0;
  for (const event::field& f : event::all_fields()) last = std::max(last, f.id);
  return last;
}

std::string partition_fields_json(const partitioning& p) {
  return fmt::format(R"([{{"source-id":{},"field-id":{},"transform":"{}","name":"{}"}}])", source_field(p).id,
                     first_partition_field_id, p.by == partitioning::transform::hour ? "hour" : "day",
                     p.field_name());
}

std::string name_mapping_json() {
  std::string out = "[";
  for (const event::field& f : event::all_fields()) {
    if (out.size() > 1) out.push_back(',');
    out += fmt::format(R"({{"field-id":{},"names":[)", f.id);
    event::write_string(out, f.name);
    out += "]}";
  }
  out += "]";
  return out;
}

}  // namespace clicktrail::table
