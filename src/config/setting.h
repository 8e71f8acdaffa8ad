#pragma once
// The settings table: every configuration key clicktrail reads, declared once with its type,
// default, bounds and description (STYLE.md rule 2). The loader rejects keys that are not here,
// the validator reads only keys that are here, and `clicktrail config docs` prints this table.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace clicktrail::config {

enum class setting_type {
  string,
  integer,  // bounded by min/max
  boolean,
  size,         // bytes; "128MiB", "64KiB", "1GB" or a plain integer; bounded by min/max
  duration,     // milliseconds; "250ms", "30s", "5m", "1h", "365d"; bounded by min/max
  string_list,  // a TOML array of strings; in the environment, comma-separated
  choice,       // one of `choices`, a '|'-separated list
};

const char* to_string(setting_type t) noexcept;

struct setting {
  std::string_view section;  // "kafka"; "sites" is an array of tables ([[sites]])
  std::string_view key;      // "brokers"
  setting_type type;
  std::string_view default_value;  // in the setting's own syntax; empty: no default (optional)
  std::string_view description;
  std::int64_t min = 0;  // integer, size, duration (ms): inclusive bounds
  std::int64_t max = 0;
  std::string_view choices = {};  // choice: "parquet|jsonl"

  std::string name() const;      // "kafka.brokers"
  std::string env_name() const;  // "CLICKTRAIL_KAFKA_BROKERS"
  bool has_default() const noexcept { return !default_value.empty(); }
};

// Sections that hold raw librdkafka properties, passed through unchecked by this layer
// (librdkafka itself rejects unknown names when the client is created).
inline constexpr std::string_view passthrough_sections[] = {"kafka.producer", "kafka.consumer"};

// Sections that are arrays of tables.
inline constexpr std::string_view repeated_sections[] = {"sites"};

std::span<const setting> all_settings() noexcept;

// The declared setting of `section.key`, or nullptr.
const setting* find_setting(std::string_view section, std::string_view key) noexcept;

}  // namespace clicktrail::config
