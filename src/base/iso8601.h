#pragma once
// ISO 8601 / RFC 3339 date-times → milliseconds since 1970, for times that foreign trackers send
// as text (Segment's timestamp, sentAt, originalTimestamp: JavaScript's Date.toISOString()).
// Written by hand so that what is accepted is exactly this, and so that untrusted text costs at
// most one pass over at most 64 bytes.

#include <cstdint>
#include <optional>
#include <string_view>

namespace clicktrail::base {

// Accepts YYYY-MM-DDTHH:MM[:SS[.F…]] followed by Z or an offset ±HH:MM, ±HHMM or ±HH, where the
// date must exist (leap years counted), HH ≤ 23, MM ≤ 59, SS ≤ 59 (no leap second), 1 to 9
// fraction digits (a '.' or ','; cut, not rounded, to milliseconds), 'T' also as 't' or ' ', 'Z'
// also as 'z', years 0000–9999. Anything else, a missing zone included (a local time means
// nothing to the collector), gives nullopt. The result may be negative (before 1970).
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text) noexcept;

}  // namespace clicktrail::base
