#pragma once
// What every decoder's fuzz target checks of a batch, whatever its protocol: a broken promise
// aborts with its name, which libFuzzer reports.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "event/decode.h"
#include "event/encode.h"

namespace clicktrail::event::fuzz {

[[noreturn]] inline void broken(const char* promise, std::string_view detail) {
  std::fprintf(stderr, "broken promise: %s\n%.*s\n", promise, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// Rejections stay in order, within the batch, with their raw text cut to `max_raw`.
inline void check_rejections(const batch& b, const limits& lim, std::size_t max_raw) {
  const std::size_t total = b.events.size() + b.rejected.size();
  if (total == 0 || total > lim.max_events) broken("a batch has 1..max_events events", "");
  for (std::size_t i = 0; i < b.rejected.size(); ++i) {
    const rejection& r = b.rejected[i];
    if (r.index >= total || (i > 0 && r.index <= b.rejected[i - 1].index))
      broken("rejections keep order", "");
    if (r.raw.size() > max_raw) broken("raw text is cut to its limit", r.raw);
  }
}

// An accepted event comes back unchanged from decode_stored(encode(e)) once the collector has
// filled its fields (decode_stored requires them, and a UUID).
inline void check_round_trip(event e) {
  if (e.event_id.empty()) e.event_id = "0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f60";
  if (e.site.empty()) e.site = "fuzz";
  e.collector_ts = 1'700'000'000'300;
  e.event_ts = 1'700'000'000'200;
  std::string record;
  encode(e, record);
  const auto back = decode_stored(record);
  if (!back.ok()) broken("decode_stored reads what encode wrote", back.err().message + "\n" + record);
  if (!(*back == e)) broken("decode_stored(encode(e)) == e", record);
}

// Limits small enough that short inputs reach the limit paths (cutting, too large, too deep).
inline limits small_limits() {
  limits small;
  small.max_events = 4;
  small.max_event_bytes = 96;
  small.max_depth = 6;
  small.max_props_bytes = 48;
  small.max_props_depth = 2;
  return small;
}

}  // namespace clicktrail::event::fuzz
