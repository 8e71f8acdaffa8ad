// libFuzzer target: decode_tp2_body and decode_tp2_query on arbitrary bytes must neither crash
// nor break their promises (as decode_fuzz.cc checks for decode_batch), and every event they
// accept must come back unchanged from decode_stored(encode(e)) once the collector has filled
// its fields. Any broken promise aborts, which libFuzzer reports.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/uuid.h"
#include "event/encode.h"
#include "event/snowplow_decode.h"

namespace {

using namespace clicktrail::event;

[[noreturn]] void broken(const char* promise, std::string_view detail) {
  std::fprintf(stderr, "broken promise: %s\n%.*s\n", promise, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void check(foreign_batch b, const limits& lim) {
  if (b.base.refused) {
    if (!b.base.events.empty() || !b.base.rejected.empty() || !b.hints.empty() || !b.source_key.empty() ||
        b.base.site || b.base.sent_ts)
      broken("a refusal sets nothing else", "");
    return;
  }
  if (b.hints.size() != b.base.events.size()) broken("one hint per accepted event", "");
  const std::size_t total = b.base.events.size() + b.base.rejected.size();
  if (total == 0 || total > lim.max_events) broken("a batch has 1..max_events events", "");
  for (std::size_t i = 0; i < b.base.rejected.size(); ++i) {
    const rejection& r = b.base.rejected[i];
    if (r.index >= total || (i > 0 && r.index <= b.base.rejected[i - 1].index))
      broken("rejections keep order", "");
    if (r.raw.size() > lim.max_event_bytes) broken("raw text is cut to max_event_bytes", r.raw);
  }
  derive_event_ids(b, snowplow_id_namespace(), "fuzz");
  std::string record;
  for (std::size_t i = 0; i < b.base.events.size(); ++i) {
    event e = b.base.events[i];
    if (b.hints[i].foreign_id && !clicktrail::base::parse_uuid(e.event_id))
      broken("a foreign id becomes a UUID", e.event_id);
    if (e.props && e.props->size() > lim.max_props_bytes) broken("props fit max_props_bytes", *e.props);
    // What the collector adds before encoding; decode_stored requires a UUID.
    if (e.event_id.empty()) e.event_id = "0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f60";
    e.site = "fuzz";
    e.collector_ts = 1'700'000'000'300;
    e.event_ts = 1'700'000'000'200;
    record.clear();
    encode(e, record);
    const auto back = decode_stored(record);
    if (!back.ok()) broken("decode_stored reads what encode wrote", back.err().message + "\n" + record);
    if (!(*back == e)) broken("decode_stored(encode(e)) == e", record);
  }
}

void check_both(std::string_view input, const limits& lim) {
  check(decode_tp2_body(input, lim), lim);
  check(decode_tp2_query(input, lim), lim);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_both(input, limits{});
  // Small limits reach the limit paths (cutting, too large, too deep) with small inputs.
  limits small;
  small.max_events = 4;
  small.max_event_bytes = 96;
  small.max_depth = 6;
  small.max_props_bytes = 48;
  small.max_props_depth = 2;
  check_both(input, small);
  return 0;
}
