#include "format/parquet/string_dictionary.h"

// Inlined: the call is in the innermost loop of the writer, on strings of a few dozen bytes.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cstring>

namespace clicktrail::format::parquet {
namespace {

constexpr std::uint64_t high_bits = 0xffffffff00000000ULL;
constexpr std::size_t initial_slots = 256;

}  // namespace

std::uint32_t string_dictionary::find_or_add(std::string_view v) {
  if ((count() + 1) * 2 > slots_.size()) grow();
  const std::uint64_t h = XXH3_64bits(v.data(), v.size());
  const std::uint64_t tag = h & high_bits;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t s = h & mask;; s = (s + 1) & mask) {
    const std::uint64_t slot = slots_[s];
    if (slot == 0) {
      const auto index = static_cast<std::uint32_t>(count());
      slots_[s] = tag | (index + 1);
      hashes_.push_back(h);
      bytes_.append(v);
      offsets_.push_back(static_cast<std::uint32_t>(bytes_.size()));
      return index;
    }
    if ((slot & high_bits) == tag) {
      const auto index = static_cast<std::uint32_t>(slot) - 1;
      const std::string_view e = at(index);
      if (same_bytes(e, v)) return index;
    }
  }
}

void string_dictionary::grow() {
  slots_.assign(std::max(initial_slots, slots_.size() * 2), 0);
  if (const std::size_t want = std::clamp(2 * slots_.size(), recent_min, recent_max);
      want != recent_.size()) {
    recent_.assign(want, 0);
    recent_shift_ = 64 - static_cast<unsigned>(std::countr_zero(want));
  }
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = 0; i < count(); ++i) {
    std::size_t s = hashes_[i] & mask;
    while (slots_[s] != 0) s = (s + 1) & mask;
    slots_[s] = (hashes_[i] & high_bits) | (i + 1);
  }
}

void string_dictionary::clear() {
  bytes_.clear();
  offsets_.resize(1);
  hashes_.clear();
  std::fill(slots_.begin(), slots_.end(), 0);
  std::fill(recent_.begin(), recent_.end(), 0);
}

}  // namespace clicktrail::format::parquet
