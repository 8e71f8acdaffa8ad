#include "sink/recent_ids.h"

#include <cstdint>
#include <cstring>

namespace clicktrail::sink {

namespace {

// A random key for the hash, so that ids chosen to collide (a tracker's ids are the client's to
// pick) cannot turn the set into a list.
recent_ids::key random_key() {
  const base::uuid random = base::make_uuid_v4();
  recent_ids::key k{};
  std::memcpy(&k.low, random.bytes.data(), sizeof k.low);
  std::memcpy(&k.high, random.bytes.data() + 8, sizeof k.high);
  return k;
}

}  // namespace

recent_ids::recent_ids(std::size_t capacity)
    : capacity_(capacity), set_(capacity == 0 ? 1 : capacity, hash{random_key()}) {
  order_.reserve(capacity);
}

std::size_t recent_ids::hash::operator()(const base::uuid& id) const noexcept {
  std::uint64_t low = 0, high = 0;
  std::memcpy(&low, id.bytes.data(), sizeof low);
  std::memcpy(&high, id.bytes.data() + 8, sizeof high);
  const std::uint64_t mixed = (low ^ k.low) * 0x9E3779B97F4A7C15ULL ^ (high ^ k.high) * 0xC2B2AE3D27D4EB4FULL;
  return static_cast<std::size_t>(mixed ^ (mixed >> 29));
}

bool recent_ids::repeat(const base::uuid& id) {
  if (capacity_ == 0) return false;
  if (!set_.insert(id).second) return true;
  if (order_.size() < capacity_) {
    order_.push_back(id);
    return false;
  }
  set_.erase(order_[next_]);
  order_[next_] = id;
  next_ = (next_ + 1) % capacity_;
  return false;
}

}  // namespace clicktrail::sink
