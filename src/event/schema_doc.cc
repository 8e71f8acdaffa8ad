// docs/event-schema.md, generated from the field and reason tables.

#include <fmt/format.h>

#include <limits>

#include "event/fields.h"
#include "event/reason.h"

namespace clicktrail::event {
namespace {

std::string type_of(const field& f) {
  if (f.check == rule::uuid) return "string (UUID)";
  switch (kind_of(f)) {
    case value_kind::text:
      return "string";
    case value_kind::json:
      return "JSON object";
    case value_kind::timestamp:
      return "int64 (ms)";
    case value_kind::int64:
      return "int64";
    case value_kind::int32:
      return "int32";
    case value_kind::boolean:
      return "bool";
  }
  return "";
}

std::string set_by(const field& f) {
  switch (f.by) {
    case setter::tracker:
      return "tracker";
    case setter::collector:
      return f.from_tracker ? "collector or tracker" : "collector";
    case setter::enrichment:
      return "enrichment";
  }
  return "";
}

std::string bytes(std::size_t n) {
  return n % kib == 0 ? fmt::format("{} KiB", n / kib) : fmt::format("{} B", n);
}

std::string limit_of(const field& f) {
  if (f.max_bytes != 0) return bytes(f.max_bytes);
  if (f.max == max_unix_ms) return "0 … 253402300799999 (year 9999)";
  if (f.min == f.max) return f.max == 0 ? "" : fmt::format("{}", f.max);
  if (f.max == std::numeric_limits<std::int32_t>::max()) {
    return f.min == 0 ? "≥ 0" : "any int32";
  }
  return fmt::format("{} … {}", f.min, f.max);
}

}  // namespace

std::string schema_markdown() {
  std::string md =
      "# Event schema, version 1\n"
      "\n"
      "<!-- Generated from src/event/fields.cc and src/event/reason.cc; the event_test binary checks\n"
      "     that this file is current and, when it is not, writes the new text to\n"
      "     build/<preset>/event-schema.md. Keep it in step with src/event/fields. -->\n"
      "\n"
      "One flat record per event. Trackers send the fields marked *tracker*; the collector fills the\n"
      "rest as the event arrives (*collector*) or from the user agent, page URL and IP address\n"
      "(*enrichment*). A tracker that sends a collector field has the event rejected.\n"
      "\n"
      "In the stored record (a JSON Lines line, or the Kafka value) fields come in this order; event_id,\n"
      "type, site, collector_ts, event_ts and schema_version are always present, `truncated` only\n"
      "when true, every other field only when it has a value. JSON null from a tracker means absent.\n"
      "The Kafka value is a binary record unless the collector's ingest.record_format is `json`: the\n"
      "byte 0xC1, then these fields as a Protocol Buffers message whose field numbers are the ids\n"
      "below (docs/record.proto). The sink and `clicktrail tail` read both forms.\n"
      "\n"
      "Text over its limit is cut at a UTF-8 character boundary and the record's `truncated` is set;\n"
      "an event is never rejected for the length of a text field (`site`, an identifier, is the\n"
      "exception). Integers must be whole numbers in range; timestamps are milliseconds since 1970.\n"
      "The limits of `props` are the collector's `max_props_bytes` and `max_props_depth`.\n"
      "\n"
      "`id` is the column's field id in the Parquet files and in an Iceberg table's schema: given\n"
      "once, never changed or reused, so that readers match a column across schema changes.\n"
      "\n"
      "| field | id | type | set by | limit | notes |\n"
      "|---|---|---|---|---|---|\n";
  for (const field& f : all_fields()) {
    md += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", f.name, f.id, type_of(f), set_by(f), limit_of(f),
                      f.note);
  }
  md +=
      "\n"
      "## Input forms\n"
      "\n"
      "`POST /v1/events` takes one event object, an array of them, or the envelope\n"
      "`{\"sent_ts\": …, \"site\": …, \"events\": […]}`. The envelope's `sent_ts` is given to events\n"
      "that have none; its `site` (or a lone event's) names the site of the whole body.\n"
      "\n"
      "## Reasons\n"
      "\n"
      "A body that cannot be read is refused whole; otherwise each event is accepted or rejected on\n"
      "its own, with one of these codes and a sentence naming the field, the limit and the fix.\n"
      "\n"
      "| reason | refuses | meaning |\n"
      "|---|---|---|\n";
  for (const reason_info& r : all_reasons()) {
    md += fmt::format("| `{}` | {} | {} |\n", r.name, r.whole_body ? "the body" : "the event", r.meaning);
  }
  return md;
}

}  // namespace clicktrail::event
