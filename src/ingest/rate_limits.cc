#include "ingest/rate_limits.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <new>

namespace clicktrail::ingest {

token_buckets::token_buckets(std::int64_t per_second, std::int64_t burst, std::size_t slots)
    : per_second_(static_cast<double>(per_second)),
      burst_(static_cast<double>(std::max(burst, per_second))),
      slot_count_(per_second > 0 ? slots : 0),
      slots_(slot_count_ > 0 ? static_cast<slot*>(std::calloc(slot_count_, sizeof(slot))) : nullptr) {
  if (slot_count_ > 0 && !slots_) throw std::bad_alloc();
}

std::optional<std::chrono::milliseconds> token_buckets::take(std::string_view key, clock::time_point now) {
  if (!slots_) return std::nullopt;
  const std::size_t at = std::hash<std::string_view>{}(key) % slot_count_;
  const std::lock_guard lock(locks_[at % stripes]);
  slot& s = slots_[at];
  const double elapsed = std::chrono::duration<double>(now - s.refilled).count();
  s.tokens = s.refilled == clock::time_point{} ? burst_ : std::min(burst_, s.tokens + elapsed * per_second_);
  s.refilled = now;
  if (s.tokens >= 1) {
    s.tokens -= 1;
    return std::nullopt;
  }
  const double wait_s = (1 - s.tokens) / per_second_;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(wait_s * 1000)));
}

}  // namespace clicktrail::ingest
