#pragma once
// How the S3 client retries a request that failed transiently (5xx, 429/503 SlowDown, timeouts,
// reset connections): capped exponential backoff with full jitter, as in
// https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/, bounded both in
// attempts and in total time so a caller never waits without limit.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace clicktrail::store {

struct retry_policy {
  int max_attempts = 8;                 // the first try included
  std::chrono::milliseconds base{100};  // the cap of the first wait
  std::chrono::milliseconds max_wait{10000};
  std::chrono::milliseconds deadline{120000};  // from the first try; no retry starts after it

  // The wait before attempt `next` (2, 3, …): uniform in [0, min(max_wait, base·2^(next-2))].
  template <class Rng>
  std::chrono::milliseconds backoff(int next, Rng& rng) const {
    const int doublings = std::clamp(next - 2, 0, 30);
    const std::int64_t ceiling =
        std::min<std::int64_t>(max_wait.count(), base.count() * (std::int64_t{1} << doublings));
    std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling, 0));
    return std::chrono::milliseconds(pick(rng));
  }
};

}  // namespace clicktrail::store
