// libFuzzer target: decode_batch on arbitrary bytes must neither crash nor break its promises,
// and every event it accepts must come back unchanged from decode_stored(encode(e)) once the
// collector has filled its fields. Any broken promise aborts, which libFuzzer reports.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "event/decode.h"
#include "event/encode.h"

namespace {

using namespace clicktrail::event;

[[noreturn]] void broken(const char* promise, std::string_view detail) {
  std::fprintf(stderr, "broken promise: %s\n%.*s\n", promise, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void check(std::string_view body, const limits& lim) {
  const batch b = decode_batch(body, lim);
  if (b.refused) {
    if (!b.events.empty() || !b.rejected.empty() || b.site || b.sent_ts)
      broken("a refusal sets nothing else", "");
    return;
  }
  const std::size_t total = b.events.size() + b.rejected.size();
  if (total == 0 || total > lim.max_events) broken("a batch has 1..max_events events", "");
  for (std::size_t i = 0; i < b.rejected.size(); ++i) {
    const rejection& r = b.rejected[i];
    if (r.index >= total || (i > 0 && r.index <= b.rejected[i - 1].index))
      broken("rejections keep order", "");
    if (r.raw.size() > lim.max_event_bytes) broken("raw text is cut to max_event_bytes", r.raw);
  }
  std::string record;
  for (event e : b.events) {
    // What the collector adds before encoding; decode_stored requires a UUID.
    if (e.event_id.empty()) e.event_id = "0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f60";
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
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  check(body, limits{});
  // Small limits reach the limit paths (cutting, too large, too deep) with small inputs.
  limits small;
  small.max_events = 4;
  small.max_event_bytes = 96;
  small.max_depth = 6;
  small.max_props_bytes = 48;
  small.max_props_depth = 2;
  check(body, small);
  return 0;
}
