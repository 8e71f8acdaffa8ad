#pragma once
// The last N event ids a partition's reader met, for dropping repeats: a tracker that resends a
// batch it got no answer for (a timeout, a dropped connection) sends the same event_ids again,
// and with the same key they come back to the same Kafka partition soon after. Memory is bounded
// by N: past it the oldest id is forgotten (docs/sink.md, "Repeated events").
//
// A ring of the ids in arrival order, and an open-addressing table (linear probing, at most half
// full, deletion by backward shift) of their ring positions: one lookup per record without a
// node to allocate and free, as std::unordered_set needed (4% of the sink's CPU). The hash is
// keyed per process, since the ids come from outside. A slot's bits above the ring position
// hold bits of its id's hash, so a probe passes other ids' slots without reading their ids: each
// such read was a cache miss in a ring of megabytes.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/uuid.h"

namespace clicktrail::sink {

class recent_ids {
 public:
  explicit recent_ids(std::size_t capacity);

  // Whether `id` is among the last `capacity` ids offered; if not, it is remembered now. With a
  // capacity of 0, nothing is remembered and nothing is a repeat.
  bool repeat(const base::uuid& id);
  // Starts loading the table slot where repeat(id) begins, and the one of the id that will
  // leave to make room for it: a table of megabytes misses the cache on nearly every lookup.
  // The sink calls it one record ahead, before the record in between is offered, so the id
  // that leaves is the one after the next to leave now.
  void prefetch(const base::uuid& id) const noexcept;
  std::size_t size() const noexcept { return ring_.size(); }

 private:
  std::size_t home(const base::uuid& id) const noexcept { return hash_(id) & mask_; }
  // A slot for ring position `at` and an id of hash `h`.
  std::uint32_t slot_for(std::size_t at, std::uint64_t h) const noexcept {
    return static_cast<std::uint32_t>(((h >> 32) << position_bits_) | (at + 1));
  }
  std::size_t position(std::uint32_t slot) const noexcept { return (slot & position_mask_) - 1; }
  // The slot that holds ring position `at` (an id known to be in the table).
  std::size_t slot_of(std::size_t at) const noexcept;
  void erase(std::size_t slot) noexcept;

  std::size_t capacity_;
  base::keyed_uuid_hash hash_;
  std::vector<base::uuid> ring_;      // ring_[next_] is the oldest once it is full
  std::vector<std::uint32_t> slots_;  // 0: empty; else hash bits, then a ring position + 1
  unsigned position_bits_ = 0;        // the low bits of a slot: ring positions 1..capacity
  std::uint32_t position_mask_ = 0;
  std::size_t mask_ = 0;
  std::size_t next_ = 0;
};

}  // namespace clicktrail::sink
