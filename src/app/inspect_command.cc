// `clicktrail inspect FILE`: a Parquet file's schema, key-value metadata, row groups with each
// column chunk's codec, encodings, sizes and statistics, and its first rows as JSON.

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <cstring>

#include "app/commands.h"
#include "app/input_files.h"
#include "base/json_string.h"
#include "format/parquet/file_reader.h"

namespace clicktrail::app {
namespace {

namespace pq = format::parquet;

std::string iso_ms(std::int64_t ms) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(
      std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ms)));
  const auto rest =
      ms - std::chrono::duration_cast<std::chrono::milliseconds>(seconds.time_since_epoch()).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", seconds, rest);
}

std::string size_text(std::int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024));
}

std::string cut(std::string s, std::size_t n) {
  if (s.size() <= n) return s;
  std::size_t end = n;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xc0) == 0x80) --end;  // whole UTF-8 characters
  return s.substr(0, end) + "…";
}

// A timestamp column's value in milliseconds, or nullopt when the column holds no timestamps.
std::optional<std::int64_t> as_ms(const pq::column_info& c, std::int64_t v) {
  if (c.logical.starts_with("TIMESTAMP(MILLIS")) return v;
  if (c.logical.starts_with("TIMESTAMP(MICROS")) return v / 1000;  // our events are whole ms
  return std::nullopt;
}

// One value as JSON: timestamps as ISO 8601 text, JSON columns as they are, strings quoted.
std::string json_of(const pq::column_info& c, const pq::cell& v) {
  std::string out;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          out = "null";
        } else if constexpr (std::is_same_v<T, bool>) {
          out = x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          const auto ms = as_ms(c, x);
          out = ms ? "\"" + iso_ms(*ms) + "\"" : std::to_string(x);
        } else if constexpr (std::is_same_v<T, std::int32_t>) {
          out = std::to_string(x);
        } else if (c.logical == "JSON") {
          out = x;
        } else {
          base::append_json_string(out, x);
        }
      },
      v);
  return out;
}

// A statistic as stored (PLAIN, no length) shown in the column's terms.
std::string stat_text(const pq::column_info& c, const std::string& raw) {
  switch (c.physical) {
    case 0:
      return raw.empty() ? "?" : (raw[0] != 0 ? "true" : "false");
    case 1: {
      if (raw.size() != 4) return "?";
      std::int32_t v;
      std::memcpy(&v, raw.data(), 4);
      return std::to_string(v);
    }
    case 2: {
      if (raw.size() != 8) return "?";
      std::int64_t v;
      std::memcpy(&v, raw.data(), 8);
      const auto ms = as_ms(c, v);
      return ms ? iso_ms(*ms) : std::to_string(v);
    }
    default: {
      std::string quoted;
      base::append_json_string(quoted, cut(raw, 40));
      return quoted;
    }
  }
}

}  // namespace

int inspect(const std::string& path, std::size_t rows) {
  const auto bytes = read_whole_file(path);
  if (!bytes) return exit_failure;
  auto file = pq::file_reader::open(*bytes);
  if (!file) {
    fmt::print(stderr, "{}: {}\n", path, file.err().message);
    return exit_failure;
  }
  const pq::file_info& info = file->info();
  fmt::print("{}: {} rows in {} row group(s), {} columns; created by {}\n", path, info.num_rows,
             info.row_groups.size(), info.columns.size(),
             info.created_by.empty() ? "(unknown)" : info.created_by);
  fmt::print("\nmetadata\n");
  for (const auto& [k, v] : info.key_values) fmt::print("  {} = {}\n", k, cut(v, 200));
  fmt::print("\nschema\n");
  for (const auto& c : info.columns) {
    fmt::print("  {:<20} {:<10} {:<22} {}\n", c.name, pq::physical_type_name(c.physical), c.logical,
               c.optional ? "optional" : "required");
  }
  for (std::size_t g = 0; g < info.row_groups.size(); ++g) {
    const auto& group = info.row_groups[g];
    std::int64_t compressed = 0, uncompressed = 0;
    for (const auto& ch : group.columns)
      compressed += ch.compressed_size, uncompressed += ch.uncompressed_size;
    fmt::print("\nrow group {}: {} rows, {} ({} uncompressed)\n", g, group.num_rows, size_text(compressed),
               size_text(uncompressed));
    fmt::print("  {:<20} {:<6} {:<28} {:>10} {:>7}  {}\n", "column", "codec", "encodings", "size", "nulls",
               "min … max");
    for (std::size_t i = 0; i < group.columns.size(); ++i) {
      const auto& ch = group.columns[i];
      std::string encodings;
      for (const auto e : ch.encodings) encodings += (encodings.empty() ? "" : ",") + pq::encoding_name(e);
      const std::string range =
          ch.min_value && ch.max_value
              ? stat_text(info.columns[i], *ch.min_value) + " … " + stat_text(info.columns[i], *ch.max_value)
              : "";
      fmt::print("  {:<20} {:<6} {:<28} {:>10} {:>7}  {}\n", info.columns[i].name, pq::codec_name(ch.codec),
                 encodings, size_text(ch.compressed_size),
                 ch.null_count ? std::to_string(*ch.null_count) : "?", range);
    }
  }
  if (rows == 0 || info.row_groups.empty()) return exit_ok;
  fmt::print("\nfirst rows\n");
  std::vector<std::vector<pq::cell>> columns;
  for (std::size_t i = 0; i < info.columns.size(); ++i) {
    auto values = file->read_column(0, i);
    if (!values) {
      fmt::print(stderr, "{}: {}\n", path, values.err().message);
      return exit_failure;
    }
    columns.push_back(std::move(values).value());
  }
  const std::size_t shown =
      std::min<std::size_t>(rows, static_cast<std::size_t>(info.row_groups[0].num_rows));
  for (std::size_t r = 0; r < shown; ++r) {
    std::string line = "{";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (r >= columns[i].size() || std::holds_alternative<std::monostate>(columns[i][r])) continue;
      if (line.size() > 1) line += ",";
      base::append_json_string(line, info.columns[i].name);
      line += ":" + json_of(info.columns[i], columns[i][r]);
    }
    fmt::print("  {}}}\n", line);
  }
  return exit_ok;
}

}  // namespace clicktrail::app
