#pragma once
// Token buckets by key — a client's address, a site — for the limits on what comes from outside
// (ingest.client_requests_per_s and the others; docs/ingest-api.md, "Limits").
//
// The buckets live in a fixed table, so memory stays bounded whatever the number of clients: a
// key hashes to a slot, and keys that hash to one slot share its bucket — a collision can bind
// two keys to one limit, never lift a limit. Thread-safe (a lock per stripe of slots).

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <type_traits>

namespace clicktrail::ingest {

class token_buckets {
 public:
  using clock = std::chrono::steady_clock;

  // `per_second` tokens a second, at most `burst` saved up; per_second 0: no limit.
  token_buckets(std::int64_t per_second, std::int64_t burst, std::size_t slots = 16384);

  // nullopt when `key` may go (a token is taken); else how long until it may.
  std::optional<std::chrono::milliseconds> take(std::string_view key, clock::time_point now);
  std::optional<std::chrono::milliseconds> take(std::string_view key) {
    return slots_ ? take(key, clock::now()) : std::nullopt;  // no clock read when off
  }

 private:
  // All bytes zero is a bucket never used (refilled at the clock's epoch).
  struct slot {
    double tokens = 0;
    clock::time_point refilled{};
  };
  // free() runs no destructor; a zeroed slot's tokens must read as 0.0.
  static_assert(std::is_trivially_copyable_v<slot> && std::is_trivially_destructible_v<slot>);
  static_assert(std::numeric_limits<double>::is_iec559);  // 0.0 is all zero bits
  struct free_slots {
    void operator()(slot* s) const noexcept { std::free(s); }
  };
  static constexpr std::size_t stripes = 64;

  double per_second_;
  double burst_;
  std::size_t slot_count_;
  // From calloc: blocks this large come zeroed as fresh pages at start-up, so a pipeline's four
  // tables (1 MiB) cost nothing until their pages are used, where a vector wrote every slot.
  std::unique_ptr<slot[], free_slots> slots_;
  std::array<std::mutex, stripes> locks_;
};

}  // namespace clicktrail::ingest
