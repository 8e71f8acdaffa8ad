#pragma once
// Reading the checked raw values (sources.h) into the validated config: shared by config.cc and
// doors_config.cc, private to src/config/.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
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

// A thread count setting: its value, or one per core when it is 0.
inline int threads_setting(const raw_config& raw, std::string_view name) {
  const auto n = get<std::int64_t>(raw, name);
  return n > 0 ? static_cast<int>(n) : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// A string setting without a default: empty when no source sets it.
inline std::string string_or_empty(const raw_config& raw, std::string_view name) {
  const auto v = raw.values.find(name);
  return v == raw.values.end() ? std::string() : std::get<std::string>(v->second.v);
}

// Where a value came from ("file.toml:3:1", "CLICKTRAIL_…", "default"), for messages. A string
// setting with an empty default that no source set is absent from `raw`: "default" too.
inline const std::string& origin_of(const raw_config& raw, std::string_view name) {
  static const std::string unset = "default";
  const auto v = raw.values.find(name);
  return v == raw.values.end() ? unset : v->second.origin;
}

// Whether a setting has its default value (no source set it).
inline bool is_default(const raw_config& raw, std::string_view name) {
  return origin_of(raw, name) == "default";
}

// The enum value of a choice setting's text (the settings table allowed only these choices).
template <class E, std::size_t N>
E pick(const std::string& text, const std::pair<std::string_view, E> (&names)[N]) {
  for (const auto& [name, e] : names) {
    if (name == text) return e;
  }
  return names[0].second;  // unreachable
}

// host:port or [v6]:port; nullopt for anything else.
std::optional<endpoint> parse_endpoint(std::string_view text);

// sink_config.cc: [sink] (its output, layout, table, Glue pointer).
void validate_sink(const raw_config& raw, config& out, problems& found);

// doors_config.cc: Snowplow app ids and Segment write keys name one site each.
void check_foreign_keys(const std::vector<site_config>& sites, problems& found);
// doors_config.cc: [snowplow], [segment], [identity], and the ingest path aliases.
void validate_doors(const raw_config& raw, config& out, problems& found);

}  // namespace clicktrail::config
