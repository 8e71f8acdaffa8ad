#include "sink/router.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "base/base64.h"
#include "base/json_string.h"
#include "event/encode.h"
#include "sink/time_partition.h"

namespace clicktrail::sink {
namespace {

// Raw bytes kept per bad record; more is cut (the record's offset finds the rest in Kafka).
constexpr std::size_t max_raw_bytes = 64 * 1024;

}  // namespace

const char* to_string(table t) noexcept { return t == table::events ? "events" : "bad"; }

routed_record router::route(const source_record& r) const {
  routed_record out;
  out.offset = r.offset();
  const auto value = r.value();
  std::string reason;
  if (!value) {
    reason = "a null value (tombstone), not an event";
  } else if (value->empty()) {
    reason = "an empty value, not an event";
  } else if (auto e = event::decode_stored(*value); !e) {
    reason = e.err().message;
    // The message may quote the record; keep the line valid JSON whatever the record held.
    if (!simdjson::validate_utf8(reason.data(), reason.size())) reason = "not a schema-v1 event";
  } else {
    out.e = std::move(e).value();
    out.to = table::events;
    out.time_partition = time_partition(layout_, by_ == config::time_source::event_ts ? out.e.event_ts : out.e.collector_ts);
    out.line = std::string(*value);
    return out;
  }
  out.to = table::bad;
  out.time_partition = time_partition(layout_, r.timestamp_ms());
  out.line = "{\"reason\":\"invalid_record\",\"detail\":";
  base::append_json_string(out.line, reason.substr(0, 1024));
  out.line += fmt::format(",\"source\":\"{}\",\"partition\":{},\"offset\":{},\"kafka_ts\":{},\"raw_base64\":\"",
                          source_name_, r.partition(), r.offset(), r.timestamp_ms());
  if (value) base::append_base64(out.line, value->substr(0, max_raw_bytes));
  out.line += "\"}";
  return out;
}

}  // namespace clicktrail::sink
