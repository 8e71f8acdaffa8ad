#pragma once
// lru_cache<V>: a bounded map from string keys to V that forgets the least recently used entry
// once it holds max_entries. For one thread: it has no locks, and find() reorders it. Each
// thread that enriches keeps its own (web traffic repeats a few thousand user agents, so a small
// cache per thread answers most lookups without sharing anything).
//
// A pointer or reference it returns stays valid until that entry is evicted (a later insert).
// Keys come from outside (user agents): the index hashes them with a seed of its own, so that
// nobody can pick keys that all land in one bucket.

#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace clicktrail::enrich {

template <class V>
class lru_cache {
 public:
  explicit lru_cache(std::size_t max_entries)
      : max_entries_(max_entries < 1 ? 1 : max_entries),
        index_(0, key_hash{std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32)}) {
    index_.reserve(max_entries_);
  }
  lru_cache(const lru_cache&) = delete;  // the index points into the list's nodes
  lru_cache& operator=(const lru_cache&) = delete;

  // The value stored for `key`, which becomes the most recently used; nullptr on a miss.
  const V* find(std::string_view key) {
    auto found = index_.find(key);
    if (found == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, found->second);
    return &found->second->second;
  }

  // Stores `value` for `key` as the most recently used (replacing any value the key had), then
  // evicts the least recently used entry if the cache holds more than max_entries.
  const V& insert(std::string_view key, V value) {
    if (auto found = index_.find(key); found != index_.end()) {
      found->second->second = std::move(value);
      entries_.splice(entries_.begin(), entries_, found->second);
      return found->second->second;
    }
    entries_.emplace_front(std::string(key), std::move(value));
    index_.emplace(entries_.front().first, entries_.begin());
    if (entries_.size() > max_entries_) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
    }
    return entries_.front().second;
  }

  std::size_t size() const { return entries_.size(); }
  std::size_t max_entries() const { return max_entries_; }

 private:
  using entry = std::pair<std::string, V>;
  // Lets the index be searched with a string_view, without building a std::string per lookup.
  struct key_hash {
    using is_transparent = void;
    std::uint64_t seed = 0;
    std::size_t operator()(std::string_view key) const noexcept {
      return static_cast<std::size_t>(XXH3_64bits_withSeed(key.data(), key.size(), seed));
    }
  };

  std::size_t max_entries_;
  std::list<entry> entries_;  // most recently used first; nodes never move, so the views below hold
  std::unordered_map<std::string_view, typename std::list<entry>::iterator, key_hash, std::equal_to<>> index_;
};

}  // namespace clicktrail::enrich
