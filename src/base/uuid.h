#pragma once
// UUIDs: version 7 generation (RFC 9562: 48-bit Unix milliseconds, then randomness) for event
// ids the collector assigns, version 5 (name-based, SHA-1) for ids derived from a foreign
// protocol's message ids, and parsing/formatting of the canonical 36-character form.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"

namespace clicktrail::base {

struct uuid {
  std::array<std::uint8_t, 16> bytes{};

  int version() const noexcept { return bytes[6] >> 4; }
  unix_ms v7_time() const noexcept;  // the timestamp of a version-7 uuid
  std::string to_string() const;     // lower-case 8-4-4-4-12

  friend bool operator==(const uuid&, const uuid&) = default;
  friend auto operator<=>(const uuid&, const uuid&) = default;
};

// A hash of uuids under a random key of its own, so that ids chosen to collide (a tracker's ids
// are the client's to pick) cannot turn a hash set into a list. Its low bits are as good as its
// high ones (sink/recent_ids.h masks them).
class keyed_uuid_hash {
 public:
  keyed_uuid_hash();
  std::size_t operator()(const uuid& id) const noexcept;

 private:
  std::uint64_t low_ = 0, high_ = 0;
};

// The canonical form's length: 32 hex digits in groups of 8-4-4-4-12, joined by '-'.
inline constexpr std::size_t uuid_text_size = 36;

// Accepts the canonical 8-4-4-4-12 hex form, upper or lower case; nothing else.
std::optional<uuid> parse_uuid(std::string_view text) noexcept;

// A text that parse_uuid accepted, in lower case: the one spelling of an id, as deduplication
// compares text. Eight bytes at a time (see uuid.cc).
void lower_case_uuid_text(std::string& text) noexcept;

// Generates version-7 uuids. Ids from one thread are strictly increasing, also within one
// millisecond (RFC 9562 §6.2 method 1: a 12-bit counter in rand_a, seeded randomly each
// millisecond). Thread-safe: each thread has its own state, seeded from the OS entropy source.
uuid make_uuid_v7(unix_ms now = now_unix_ms());

// RFC 9562 §5.5: SHA-1 over the namespace's 16 bytes and `name`, as Python's uuid.uuid5(ns,
// name) computes it, so an analyst can recompute an id. Pure; thread-safe.
uuid make_uuid_v5(const uuid& ns, std::string_view name);

// RFC 9562 §5.4: 122 random bits from the OS (getrandom), for ids that must say nothing about
// when or where they were made and cannot be guessed from others (a visitor's cookie).
uuid make_uuid_v4();

}  // namespace clicktrail::base
