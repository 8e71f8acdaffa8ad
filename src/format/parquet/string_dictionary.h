#pragma once
// The distinct strings of a column chunk, in insertion order, each found again by value: what
// dictionary encoding needs. An open-addressing table whose slots hold the entry's index and 32
// bits of its hash together, so a lookup touches one slot and, on a match, the stored bytes once.
// Hashing is XXH3, fast on the short strings clickstreams are made of.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clicktrail::format::parquet {

class string_dictionary {
 public:
  // The index of `v`, added when new.
  std::uint32_t index_of(std::string_view v);

  std::size_t count() const noexcept { return ends_.size(); }
  // PLAIN-encoded size: each entry with its 4-byte length.
  std::int64_t encoded_bytes() const noexcept {
    return static_cast<std::int64_t>(bytes_.size() + 4 * ends_.size());
  }
  std::int64_t memory() const noexcept {
    return static_cast<std::int64_t>(bytes_.size() + 4 * ends_.size() + 8 * hashes_.size() +
                                     8 * slots_.size());
  }
  std::string_view at(std::size_t i) const noexcept {
    const std::uint32_t begin = i == 0 ? 0 : ends_[i - 1];
    return {bytes_.data() + begin, ends_[i] - begin};
  }
  void clear();

 private:
  void grow();

  std::string bytes_;                  // the entries end to end
  std::vector<std::uint32_t> ends_;    // where each entry ends in bytes_
  std::vector<std::uint64_t> hashes_;  // each entry's hash, to rebuild the table when it grows
  std::vector<std::uint64_t> slots_;   // 0: empty; else (hash >> 32) << 32 | (index + 1)
};

}  // namespace clicktrail::format::parquet
