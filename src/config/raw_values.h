#pragma once
// Reading the checked raw values (sources.h) into the validated config: shared by config.cc and
// doors_config.cc, private to src/config/.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.h"
#include "config/sources.h"

namespace clicktrail::config {

using problems = std::vector<std::string>;

// The value of a setting, which read_sources() has checked against the table (type, bounds).
template <class T>
const T& get(const raw_config& raw, std::string_view name) {
  return std::get<T>(raw.values.find(name)->second.v);
}

// A string setting without a default: empty when no source sets it.
inline std::string string_or_empty(const raw_config& raw, std::string_view name) {
  const auto v = raw.values.find(name);
  return v == raw.values.end() ? std::string() : std::get<std::string>(v->second.v);
}

// Where a value came from ("file.toml:3:1", "CLICKTRAIL_…", "default"), for messages.
inline const std::string& origin_of(const raw_config& raw, std::string_view name) {
  return raw.values.find(name)->second.origin;
}

// doors_config.cc: Snowplow app ids and Segment write keys name one site each.
void check_foreign_keys(const std::vector<site_config>& sites, problems& found);
// doors_config.cc: [snowplow], [segment], [identity], and the ingest path aliases.
void validate_doors(const raw_config& raw, config& out, problems& found);

}  // namespace clicktrail::config
