#include "sink/recent_ids.h"

#include <bit>

namespace clicktrail::sink {

recent_ids::recent_ids(std::size_t capacity) : capacity_(capacity) {
  if (capacity == 0) return;
  ring_.reserve(capacity);
  slots_.assign(std::bit_ceil(2 * capacity), 0);
  mask_ = slots_.size() - 1;
  // The setting's limit (10^8) leaves five bits or more for the hash.
  position_bits_ = static_cast<unsigned>(std::bit_width(capacity));
  position_mask_ = static_cast<std::uint32_t>((std::uint64_t{1} << position_bits_) - 1);
}

bool recent_ids::repeat(const base::uuid& id) {
  if (capacity_ == 0) return false;
  const std::uint64_t h = hash_(id);
  const std::uint32_t hash_bits = slot_for(0, h) & ~position_mask_;
  std::size_t s = h & mask_;
  for (; slots_[s] != 0; s = (s + 1) & mask_) {
    if ((slots_[s] & ~position_mask_) == hash_bits && ring_[position(slots_[s])] == id) return true;
  }
  if (ring_.size() < capacity_) {
    slots_[s] = slot_for(ring_.size(), h);
    ring_.push_back(id);
    return false;
  }
  // Full: the oldest id leaves, and the new one takes its ring position. The deletion may move
  // entries into the free slot found above, so the new id's slot is probed for again.
  erase(slot_of(next_));
  ring_[next_] = id;
  for (s = h & mask_; slots_[s] != 0;) s = (s + 1) & mask_;
  slots_[s] = slot_for(next_, h);
  next_ = (next_ + 1) % capacity_;
  return false;
}

void recent_ids::prefetch(const base::uuid& id) const noexcept {
  if (capacity_ == 0) return;
  __builtin_prefetch(&slots_[home(id)]);
  if (ring_.size() == capacity_) __builtin_prefetch(&slots_[home(ring_[(next_ + 1) % capacity_])]);
}

std::size_t recent_ids::slot_of(std::size_t at) const noexcept {
  std::size_t s = home(ring_[at]);
  while (position(slots_[s]) != at) s = (s + 1) & mask_;
  return s;
}

void recent_ids::erase(std::size_t slot) noexcept {
  // Backward shift: each later entry of the probe run that may live in the hole moves into it,
  // so that no lookup meets an empty slot before its entry.
  std::size_t hole = slot;
  for (std::size_t j = (slot + 1) & mask_; slots_[j] != 0; j = (j + 1) & mask_) {
    const std::size_t k = home(ring_[position(slots_[j])]);
    // The entry at j stays when its home lies cyclically in (hole, j].
    const bool stays = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    hole = j;
  }
  slots_[hole] = 0;
}

}  // namespace clicktrail::sink
