// libFuzzer target: decode_segment on arbitrary bytes, for every call kind, must neither crash
// nor break its promises, and every event it accepts must come back unchanged from
// decode_stored(encode(e)) once the collector has filled its fields (as decode_fuzz.cc checks
// for the native decoder). Any broken promise aborts, which libFuzzer reports.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "event/encode.h"
#include "event/segment_decode.h"

namespace {

using namespace clicktrail::event;

[[noreturn]] void broken(const char* promise, std::string_view detail) {
  std::fprintf(stderr, "broken promise: %s\n%.*s\n", promise, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void check(std::string_view body, segment_call call, const limits& lim, const segment_limits& seg) {
  foreign_batch b = decode_segment(body, call, lim, seg);
  if (b.base.refused) {
    if (!b.base.events.empty() || !b.base.rejected.empty() || !b.hints.empty() || !b.source_key.empty())
      broken("a refusal sets nothing else", "");
    return;
  }
  if (b.hints.size() != b.base.events.size()) broken("one hint per event", "");
  const std::size_t total = b.base.events.size() + b.base.rejected.size();
  if (total == 0 || total > lim.max_events) broken("a batch has 1..max_events messages", "");
  if (call != segment_call::batch && total != 1) broken("a single route has one message", "");
  for (std::size_t i = 0; i < b.base.rejected.size(); ++i) {
    const rejection& r = b.base.rejected[i];
    if (r.index >= total || (i > 0 && r.index <= b.base.rejected[i - 1].index))
      broken("rejections keep order", "");
    if (r.raw.size() > seg.max_message_bytes) broken("raw text is cut to max_message_bytes", r.raw);
  }
  derive_event_ids(b, segment_id_namespace(), "site");
  std::string record;
  for (event e : b.base.events) {
    if (e.type.empty()) broken("every event has a type", "");
    if (!e.user_id && !e.anonymous_id) broken("every event has userId or anonymousId", "");
    if (e.event_id.empty()) e.event_id = "0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f60";
    e.site = "site";
    e.collector_ts = 1'700'000'000'300;
    e.event_ts = 1'700'000'000'200;
    record.clear();
    encode(e, record);
    const auto back = decode_stored(record);
    if (!back.ok()) broken("decode_stored reads what encode wrote", back.err().message + "\n" + record);
    if (!(*back == e)) broken("decode_stored(encode(e)) == e", record);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the route; the rest is the body.
  const auto call = static_cast<segment_call>(data[0] % 7);
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  check(body, call, limits{}, segment_limits{});
  // Small limits reach the limit paths (cutting, too large, too deep) with small inputs.
  limits small;
  small.max_events = 4;
  small.max_depth = 6;
  small.max_props_bytes = 48;
  small.max_props_depth = 2;
  segment_limits small_seg;
  small_seg.max_message_bytes = 96;
  small_seg.max_batch_bytes = 400;
  check(body, call, small, small_seg);
  return 0;
}
