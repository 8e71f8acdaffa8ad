// libFuzzer target: decode_batch on arbitrary bytes must neither crash nor break its promises,
// and every event it accepts must come back unchanged from decode_stored(encode(e)) once the
// collector has filled its fields. Any broken promise aborts, which libFuzzer reports.

#include <cstdint>
#include <string_view>

#include "event/decode.h"
#include "event/fuzz/promises.h"

namespace {

using namespace clicktrail::event;
using namespace clicktrail::event::fuzz;

void check(std::string_view body, const limits& lim) {
  const batch b = decode_batch(body, lim);
  if (b.refused) {
    if (!b.events.empty() || !b.rejected.empty() || b.site || b.sent_ts)
      broken("a refusal sets nothing else", "");
    return;
  }
  check_rejections(b, lim, lim.max_event_bytes);
  for (const event& e : b.events) check_round_trip(e);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  check(body, limits{});
  check(body, small_limits());
  return 0;
}
