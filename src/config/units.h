#pragma once
// Human units in configuration: sizes ("128MiB") and durations ("5m").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clicktrail::config {

// "1048576", "512KiB", "128MiB", "1GiB", "10MB", "1kB" (decimal units are powers of 1000).
// nullopt when malformed or when the value does not fit in int64.
std::optional<std::int64_t> parse_size(std::string_view text) noexcept;

// "250ms", "30s", "5m", "1h", "1h30m"; returns milliseconds. A bare number is refused: the
// unit must be written so that "300" cannot be misread as seconds or milliseconds.
std::optional<std::int64_t> parse_duration_ms(std::string_view text) noexcept;

// The shortest exact spelling: 134217728 → "128MiB", 300000 → "5m".
std::string format_size(std::int64_t bytes);
std::string format_duration_ms(std::int64_t ms);

}  // namespace clicktrail::config
