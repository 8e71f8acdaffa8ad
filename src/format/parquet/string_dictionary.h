#pragma once
// The distinct strings of a column chunk, in insertion order, each found again by value: what
// dictionary encoding needs. An open-addressing table whose slots hold the entry's index and 32
// bits of its hash together, so a lookup touches one slot and, on a match, the stored bytes once.
// Hashing is XXH3, fast on the short strings clickstreams are made of.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace clicktrail::format::parquet {

// a == b, inline: nearly every lookup ends in one such compare of a few dozen bytes, where a
// call to the library's memcmp costs more than the compare itself.
inline bool same_bytes(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  auto word = [](const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  };
  auto half = [](const char* p) {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    return w;
  };
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if (word(a.data() + i) != word(b.data() + i)) return false;
    return word(a.data() + n - 8) == word(b.data() + n - 8);  // the last eight, overlapping the loop's
  }
  if (n >= 4) return half(a.data()) == half(b.data()) && half(a.data() + n - 4) == half(b.data() + n - 4);
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

class string_dictionary {
 public:
  // The index of `v`, added when new.
  std::uint32_t index_of(std::string_view v);

  std::size_t count() const noexcept { return offsets_.size() - 1; }
  // PLAIN-encoded size: each entry with its 4-byte length.
  std::int64_t encoded_bytes() const noexcept {
    return static_cast<std::int64_t>(bytes_.size() + 4 * count());
  }
  std::int64_t memory() const noexcept {
    return static_cast<std::int64_t>(bytes_.size() + 4 * offsets_.size() + 8 * hashes_.size() +
                                     8 * slots_.size());
  }
  std::string_view at(std::size_t i) const noexcept {
    return {bytes_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
  }
  void clear();

 private:
  void grow();

  std::string bytes_;                      // the entries end to end
  std::vector<std::uint32_t> offsets_{0};  // where each entry starts in bytes_, and where the last ends
  std::vector<std::uint64_t> hashes_;      // each entry's hash, to rebuild the table when it grows
  std::vector<std::uint64_t> slots_;       // 0: empty; else (hash >> 32) << 32 | (index + 1)
};

}  // namespace clicktrail::format::parquet
