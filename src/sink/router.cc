#include "sink/router.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "base/base64.h"
#include "base/json_string.h"
#include "event/binary_record.h"
#include "event/encode.h"
#include "event/fields.h"
#include "sink/time_partition.h"

namespace clicktrail::sink {
namespace {

// Raw bytes kept per bad record; more is cut (the record's offset finds the rest in Kafka).
constexpr std::size_t max_raw_bytes = 64 * 1024;

// A rejected-input row longer than this is not one the collector wrote (its raw input is cut to
// 64 KiB, base64 makes that ~86 KiB); it is kept wrapped, like any other poison record.
constexpr std::size_t max_rejected_row = 256 * 1024;

}  // namespace

const char* to_string(table t) noexcept {
  return t == table::events ? "events" : "bad";
}

routed_record router::route(const source_record& r) {
  routed_record out;
  route_into(r, out);
  return out;
}

void router::route_into(const source_record& r, routed_record& out) {
  if (input_ == input_kind::rejected) {
    out = route_rejected(r);
    return;
  }
  const auto value = r.value();
  if (!value) {
    out = to_bad_table(r, "a null value (tombstone), not an event");
    return;
  }
  if (value->empty()) {
    out = to_bad_table(r, "an empty value, not an event");
    return;
  }
  std::uint64_t named = 0;  // the fields the record names, null ones too
  out.line.clear();
  out.consumed = {};
  out.dropped = false;
  // Every field of out.e is written: the record's, and the defaults of those it does not hold.
  if (auto decoded = event::decode_stored_into(*value, out.e, &named, &out.id); !decoded) {
    // The message may quote the record; keep the line valid JSON whatever the record held.
    const std::string& why = decoded.err().message;
    out = to_bad_table(r, simdjson::validate_utf8(why.data(), why.size()) ? why : "not a schema-v1 event");
    return;
  }
  if (!out.id) out.id = base::parse_uuid(out.e.event_id);  // a JSON record's (the decode checked it)
  out.offset = r.offset();
  out.to = table::events;
  out.time_partition =
      partitions_.of(by_ == config::time_source::event_ts ? out.e.event_ts : out.e.collector_ts);
  // A binary record (event/binary_record.h) is turned into its JSON line where the format
  // stores the line; Parquet takes the event, and the stored record only sizes row groups.
  const bool json = !event::is_binary_record(*value);
  if (!enricher_) {
    if (json || !rewrite_line_) {
      out.consumed = *value;
    } else {
      event::encode(out.e, out.line);
    }
    return;
  }
  const bool was_truncated = out.e.truncated;
  if (enricher_->apply(out.e) == enrich::sink_enricher::verdict::drop) {
    out.dropped = true;
    return;
  }
  // A user agent's fields cut to their columns set `truncated`, which comes before them: the
  // record read says otherwise, so the event is encoded whole.
  const bool cut = out.e.truncated != was_truncated;
  // The sink's fields are the schema's last: a canonical record without them (as collectors
  // write them) takes them appended, which is its canonical encoding, at a fraction of encoding
  // it again. (Any other record naming none of them stays valid JSON, if not canonical, as it was before.)
  const bool appendable =
      rewrite_line_ && json && !cut && (named >> event::sink_fields_begin()) == 0 && value->back() == '}';
  if (appendable) {
    out.line.reserve(value->size() + 256);
    out.line.assign(value->substr(0, value->size() - 1));  // without its '}'
    event::encode_tail(out.e, event::sink_fields_begin(), out.line);
  } else if (rewrite_line_) {
    event::encode(out.e, out.line);
  } else {
    // Parquet takes the event; the line only sizes row groups, and the stored one is close enough.
    out.consumed = *value;
  }
}

// The collector's row, as it wrote it, when it is a JSON object with a numeric collector_ts.
routed_record router::route_rejected(const source_record& r) {
  const auto value = r.value();
  // One row per line: a row spread over lines (JSON allows it) would break the JSON Lines file.
  if (!value || value->empty() || value->size() > max_rejected_row ||
      value->find_first_of("\r\n") != std::string_view::npos) {
    return to_bad_table(r, "not a row of rejected input: expected a JSON object as the collector writes");
  }
  simdjson::dom::element row;
  std::int64_t collector_ts = 0;
  if (parser_.parse(value->data(), value->size()).get(row) != simdjson::SUCCESS || !row.is_object() ||
      row["collector_ts"].get_int64().get(collector_ts) != simdjson::SUCCESS) {
    return to_bad_table(r, "not a row of rejected input: expected a JSON object with a numeric collector_ts");
  }
  routed_record out;
  out.offset = r.offset();
  out.to = table::bad;
  out.time_partition = partitions_.of(collector_ts);
  out.consumed = *value;
  return out;
}

routed_record router::to_bad_table(const source_record& r, std::string_view reason) const {
  routed_record out;
  out.offset = r.offset();
  out.to = table::bad;
  out.time_partition = time_partition(partitions_.layout(), r.timestamp_ms());
  out.line = "{\"reason\":\"invalid_record\",\"detail\":";
  base::append_json_string(out.line, reason.substr(0, 1024));
  out.line +=
      fmt::format(",\"source\":\"{}\",\"partition\":{},\"offset\":{},\"kafka_ts\":{},\"raw_base64\":\"",
                  source_name_, r.partition(), r.offset(), r.timestamp_ms());
  if (const auto value = r.value()) base::append_base64(out.line, value->substr(0, max_raw_bytes));
  out.line += "\"}";
  return out;
}

}  // namespace clicktrail::sink
