#pragma once
// The last N event ids a partition's reader met, for dropping repeats: a tracker that resends a
// batch it got no answer for (a timeout, a dropped connection) sends the same event_ids again,
// and with the same key they come back to the same Kafka partition soon after. Memory is bounded
// by N: past it the oldest id is forgotten (docs/sink.md, "Repeated events").

#include <cstddef>
#include <cstdint>
#include <unordered_set>
#include <vector>

#include "base/uuid.h"

namespace clicktrail::sink {

class recent_ids {
 public:
  explicit recent_ids(std::size_t capacity);

  // Whether `id` is among the last `capacity` ids offered; if not, it is remembered now. With a
  // capacity of 0, nothing is remembered and nothing is a repeat.
  bool repeat(const base::uuid& id);
  std::size_t size() const noexcept { return set_.size(); }

 private:
  std::size_t capacity_;
  std::unordered_set<base::uuid, base::keyed_uuid_hash> set_;
  std::vector<base::uuid> order_;  // a ring: order_[next_] is the oldest once it is full
  std::size_t next_ = 0;
};

}  // namespace clicktrail::sink
