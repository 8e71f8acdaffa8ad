// libFuzzer target: decode_segment on arbitrary bytes, for every call kind, must neither crash
// nor break its promises, and every event it accepts must come back unchanged from
// decode_stored(encode(e)) once the collector has filled its fields (as decode_fuzz.cc checks
// for the native decoder). Any broken promise aborts, which libFuzzer reports.

#include <cstdint>
#include <string_view>

#include "event/fuzz/promises.h"
#include "event/segment_decode.h"

namespace {

using namespace clicktrail::event;
using namespace clicktrail::event::fuzz;

void check(std::string_view body, segment_call call, const limits& lim, const segment_limits& seg) {
  foreign_batch b = decode_segment(body, call, lim, seg);
  if (b.base.refused) {
    if (!b.base.events.empty() || !b.base.rejected.empty() || !b.hints.empty() || !b.source_key.empty())
      broken("a refusal sets nothing else", "");
    return;
  }
  if (b.hints.size() != b.base.events.size()) broken("one hint per event", "");
  if (call != segment_call::batch && b.base.events.size() + b.base.rejected.size() != 1)
    broken("a single route has one message", "");
  check_rejections(b.base, lim, seg.max_message_bytes);
  derive_event_ids(b, segment_id_namespace(), "site");
  for (const event& e : b.base.events) {
    if (e.type.empty()) broken("every event has a type", "");
    if (!e.user_id && !e.anonymous_id) broken("every event has userId or anonymousId", "");
    check_round_trip(e);
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
  segment_limits small_seg;
  small_seg.max_message_bytes = 96;
  small_seg.max_batch_bytes = 400;
  check(body, call, small_limits(), small_seg);
  return 0;
}
