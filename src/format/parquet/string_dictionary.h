#pragma once
// The distinct strings of a column chunk, in insertion order, each found again by value: what
// dictionary encoding needs. An open-addressing table whose slots hold the entry's index and 32
// bits of its hash together, so a lookup touches one slot and, on a match, the stored bytes once.
// Hashing is XXH3, fast on the short strings clickstreams are made of.
//
// In front of the table, a direct-mapped cache of recent entries keyed by a fingerprint of a few
// of the value's bytes: most columns hold a handful of values (a browser, a country, an event
// type, a page), which it finds with one compare and without hashing the whole string or probing
// the table. It has twice as many entries as the table has slots, up to 1,024 (4 KiB): as much
// memory as the table, and few enough values per entry that a column of hundreds still finds
// most of them there. Two values with the same fingerprint only take turns in the cache; each
// hit is checked byte for byte, so a collision costs a table lookup, never a wrong index.

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace clicktrail::format::parquet {

// 8 and 4 bytes from anywhere, as integers.
inline std::uint64_t load_word(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

inline std::uint32_t load_half(const char* p) noexcept {
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

// a == b, inline: nearly every lookup ends in one such compare of a few dozen bytes, where a
// call to the library's memcmp costs more than the compare itself.
inline bool same_bytes(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if (load_word(a.data() + i) != load_word(b.data() + i)) return false;
    // the last eight, overlapping the loop's
    return load_word(a.data() + n - 8) == load_word(b.data() + n - 8);
  }
  if (n >= 4) {
    return load_half(a.data()) == load_half(b.data()) &&
           load_half(a.data() + n - 4) == load_half(b.data() + n - 4);
  }
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

class string_dictionary {
 public:
  // The index of `v`, added when new. Inlined: the writer calls it for each string of each row.
  [[gnu::always_inline]] std::uint32_t index_of(std::string_view v) {
    const std::uint64_t key = recent_key(v);
    if (const std::uint32_t r = recent_[key >> recent_shift_]; r != 0 && same_bytes(at(r - 1), v))
      return r - 1;
    const std::uint32_t index = find_or_add(v);  // may grow the cache: its slot is found again
    recent_[key >> recent_shift_] = index + 1;
    return index;
  }

  std::size_t count() const noexcept { return offsets_.size() - 1; }
  // PLAIN-encoded size: each entry with its 4-byte length.
  std::int64_t encoded_bytes() const noexcept {
    return static_cast<std::int64_t>(bytes_.size() + 4 * count());
  }
  std::int64_t memory() const noexcept {
    return static_cast<std::int64_t>(bytes_.size() + 4 * offsets_.size() + 8 * hashes_.size() +
                                     8 * slots_.size() + 4 * recent_.size());
  }
  std::string_view at(std::size_t i) const noexcept {
    return {bytes_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
  }
  void clear();

 private:
  // recent_min: before the first value (a column that is never set keeps just that).
  static constexpr std::size_t recent_min = 64, recent_max = 1024;

  // The length and up to 24 of the bytes (first, middle, last), mixed: a few instructions where
  // XXH3 reads every byte. Its high bits pick the cache slot; strings that agree on all of those
  // bytes share one.
  static std::uint64_t recent_key(std::string_view v) noexcept {
    const char* p = v.data();
    const std::size_t n = v.size();
    std::uint64_t a = n, b = 0;
    if (n >= 8) {
      a ^= load_word(p) ^ (load_word(p + n / 2 - 4) << 1);
      b = load_word(p + n - 8);
    } else if (n >= 4) {
      a ^= load_half(p);
      b = load_half(p + n - 4);
    } else if (n > 0) {
      b = static_cast<std::uint8_t>(p[0]) | static_cast<std::uint8_t>(p[n / 2]) << 8 |
          static_cast<std::uint8_t>(p[n - 1]) << 16;
    }
    return (a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
  }

  std::uint32_t find_or_add(std::string_view v);
  void grow();

  std::string bytes_;                      // the entries end to end
  std::vector<std::uint32_t> offsets_{0};  // where each entry starts in bytes_, and where the last ends
  std::vector<std::uint64_t> hashes_;      // each entry's hash, to rebuild the table when it grows
  std::vector<std::uint64_t> slots_;       // 0: empty; else (hash >> 32) << 32 | (index + 1)
  std::vector<std::uint32_t> recent_ = std::vector<std::uint32_t>(recent_min);  // 0: empty; else index + 1
  unsigned recent_shift_ = 64 - std::countr_zero(recent_min);                   // 64 - log2(recent_.size())
};

}  // namespace clicktrail::format::parquet
