#pragma once
// Time as the pipeline uses it: milliseconds since the Unix epoch for event timestamps (the unit
// of every *_ts column), and a monotonic clock for timeouts and latencies.

#include <chrono>
#include <cstdint>

namespace clicktrail::base {

using unix_ms = std::int64_t;

inline unix_ms now_unix_ms() noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

using steady = std::chrono::steady_clock;

}  // namespace clicktrail::base
