#pragma once
// UUIDs: version 7 generation (RFC 9562: 48-bit Unix milliseconds, then randomness) for event
// ids the collector assigns, version 5 (name-based, SHA-1) for ids derived from another
// protocol's non-UUID ids, and parsing/formatting of the canonical 36-character form.

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

// Accepts the canonical 8-4-4-4-12 hex form, upper or lower case; nothing else.
std::optional<uuid> parse_uuid(std::string_view text) noexcept;

// Generates version-7 uuids. Ids from one thread are strictly increasing, also within one
// millisecond (RFC 9562 §6.2 method 1: a 12-bit counter in rand_a, seeded randomly each
// millisecond). Thread-safe: each thread has its own state, seeded from the OS entropy source.
uuid make_uuid_v7(unix_ms now = now_unix_ms());

// The version-5 uuid of `name` in namespace `ns` (RFC 9562 §5.5): the first 16 bytes of
// SHA-1(ns bytes ‖ name), version and variant set. The same as Python's uuid.uuid5(ns, name) for
// a `name` given as UTF-8, so that an analyst can recompute a derived id.
uuid make_uuid_v5(const uuid& ns, std::string_view name);

}  // namespace clicktrail::base
