// libFuzzer target: decode_tp2_body and decode_tp2_query on arbitrary bytes must neither crash
// nor break their promises (as decode_fuzz.cc checks for decode_batch), and every event they
// accept must come back unchanged from decode_stored(encode(e)) once the collector has filled
// its fields. Any broken promise aborts, which libFuzzer reports.

#include <cstdint>
#include <string_view>

#include "base/uuid.h"
#include "event/fuzz/promises.h"
#include "event/snowplow_decode.h"

namespace {

using namespace clicktrail::event;
using namespace clicktrail::event::fuzz;

void check(foreign_batch b, const limits& lim) {
  if (b.base.refused) {
    if (!b.base.events.empty() || !b.base.rejected.empty() || !b.hints.empty() || !b.source_key.empty() ||
        b.base.site || b.base.sent_ts)
      broken("a refusal sets nothing else", "");
    return;
  }
  if (b.hints.size() != b.base.events.size()) broken("one hint per accepted event", "");
  check_rejections(b.base, lim, lim.max_event_bytes);
  derive_event_ids(b, snowplow_id_namespace(), "fuzz");
  for (std::size_t i = 0; i < b.base.events.size(); ++i) {
    const event& e = b.base.events[i];
    if (b.hints[i].foreign_id && !clicktrail::base::parse_uuid(e.event_id))
      broken("a foreign id becomes a UUID", e.event_id);
    if (e.props && e.props->size() > lim.max_props_bytes) broken("props fit max_props_bytes", *e.props);
    check_round_trip(e);
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
  check_both(input, small_limits());
  return 0;
}
