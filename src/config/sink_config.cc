// [sink] validated: where the files go and how they are laid out, the Iceberg table and the Glue
// table that points Athena at it; the rules that join several keys (docs/configuration.md).

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "config/config.h"
#include "config/raw_values.h"

namespace clicktrail::config {
namespace {

bool valid_bucket(std::string_view bucket) {
  return bucket.size() >= 3 && bucket.size() <= 63 &&
         std::ranges::all_of(bucket,
                             [](char c) {
                               return std::islower(static_cast<unsigned char>(c)) ||
                                      std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-';
                             }) &&
         std::isalnum(static_cast<unsigned char>(bucket.front())) &&
         std::isalnum(static_cast<unsigned char>(bucket.back()));
}

void validate_output(const raw_config& raw, sink_config& sink, problems& found) {
  const std::string& text = get<std::string>(raw, "sink.output");
  const std::string& origin = origin_of(raw, "sink.output");
  sink.output_text = text;
  if (text.starts_with("s3://")) {
    const std::string_view rest = std::string_view(text).substr(5);
    const auto slash = rest.find('/');
    sink.output.where = output_location::kind::s3;
    sink.output.bucket = rest.substr(0, slash);
    std::string_view prefix = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    while (prefix.ends_with('/')) prefix.remove_suffix(1);
    sink.output.prefix = prefix;
    if (!valid_bucket(sink.output.bucket)) {
      found.push_back(
          fmt::format("{}: sink.output = \"{}\": \"{}\" is not a valid S3 bucket name "
                      "(3–63 lower-case letters, digits, '.' or '-')",
                      origin, text, sink.output.bucket));
    }
  } else if (text.starts_with("file://")) {
    sink.output.path = text.substr(7);
    if (!sink.output.path.starts_with('/')) {
      found.push_back(
          fmt::format("{}: sink.output = \"{}\": a file:// URL needs an absolute path, "
                      "e.g. file:///var/lib/clicktrail/out, or write a plain path",
                      origin, text));
    }
  } else if (text.find("://") != std::string::npos) {
    found.push_back(fmt::format(
        "{}: sink.output = \"{}\": use s3://bucket/prefix, file:///path or a plain path", origin, text));
  } else if (text.empty()) {
    found.push_back(fmt::format("{}: sink.output is empty: give a directory or s3://bucket/prefix", origin));
  } else {
    sink.output.path = text;
  }
}

void validate_layout(const raw_config& raw, sink_config& sink, problems& found) {
  sink.layout = get<std::string>(raw, "sink.layout");
  const std::string& origin = origin_of(raw, "sink.layout");
  bool ok = !sink.layout.empty() && !sink.layout.starts_with('/') && !sink.layout.ends_with('/') &&
            sink.layout.find("..") == std::string::npos;
  for (size_t i = 0; ok && i < sink.layout.size(); ++i) {
    if (sink.layout[i] != '%') continue;
    const char spec = i + 1 < sink.layout.size() ? sink.layout[i + 1] : '\0';
    ok = spec == 'Y' || spec == 'm' || spec == 'd' || spec == 'H';
    ++i;
  }
  if (!ok) {
    found.push_back(
        fmt::format("{}: sink.layout = \"{}\" must be a relative path using only %Y %m %d %H, "
                    "e.g. \"year=%Y/month=%m/day=%d/hour=%H\"",
                    origin, sink.layout));
  }
}

// sink.compression_level, against the codec (already settled: JSON Lines may have moved it to gzip).
void validate_compression_level(const raw_config& raw, sink_config& sink, problems& found) {
  const auto level = get<std::int64_t>(raw, "sink.compression_level");
  sink.compression_level = static_cast<int>(level);
  if (level == 0) return;
  const int most = most_compression_level(sink.codec);
  // The codec's own name: JSON Lines' default gzip is not what sink.compression says.
  const char* const name = sink.codec == compression::zstd     ? "zstd"
                           : sink.codec == compression::gzip   ? "gzip"
                           : sink.codec == compression::snappy ? "snappy"
                                                               : "none";
  if (most == 0) {
    found.push_back(
        fmt::format("{}: sink.compression_level = {}, but sink.compression = \"{}\" has no levels; "
                    "remove sink.compression_level, or choose zstd or gzip",
                    origin_of(raw, "sink.compression_level"), level, name));
  } else if (level > most) {
    found.push_back(
        fmt::format("{}: sink.compression_level = {} is past {}'s levels; give 1 to {}, or 0 for "
                    "its default",
                    origin_of(raw, "sink.compression_level"), level, name, most));
  }
}

}  // namespace

void validate_sink(const raw_config& raw, config& out, problems& found) {
  auto& sink = out.sink;
  validate_output(raw, sink, found);
  validate_layout(raw, sink, found);
  static constexpr std::pair<std::string_view, output_format> formats[] = {
      {"parquet", output_format::parquet}, {"jsonl", output_format::jsonl}};
  static constexpr std::pair<std::string_view, compression> codecs[] = {{"zstd", compression::zstd},
                                                                        {"snappy", compression::snappy},
                                                                        {"gzip", compression::gzip},
                                                                        {"none", compression::none}};
  static constexpr std::pair<std::string_view, time_source> sources[] = {
      {"collector_ts", time_source::collector_ts}, {"event_ts", time_source::event_ts}};
  sink.format = pick(get<std::string>(raw, "sink.format"), formats);
  sink.codec = pick(get<std::string>(raw, "sink.compression"), codecs);
  sink.partition_by = pick(get<std::string>(raw, "sink.partition_by"), sources);
  static constexpr std::pair<std::string_view, table_kind> tables[] = {{"files", table_kind::files},
                                                                       {"iceberg", table_kind::iceberg}};
  sink.table = pick(get<std::string>(raw, "sink.table"), tables);
  if (sink.table == table_kind::iceberg && sink.format != output_format::parquet) {
    found.push_back(
        fmt::format("{}: sink.table = \"iceberg\" writes Parquet data files; set sink.format = \"parquet\" "
                    "(the default) or sink.table = \"files\"",
                    origin_of(raw, "sink.table")));
  }
  // "a.b", each lower-case letters, digits and '_': Glue's (and Athena's) names, and what a REST
  // catalog's path takes without encoding.
  const auto split_name = [](const std::string& name) -> std::optional<std::pair<std::string, std::string>> {
    const auto dot = name.find('.');
    const auto name_ok = [](std::string_view n) {
      return !n.empty() && n.size() <= 255 && std::all_of(n.begin(), n.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      });
    };
    if (dot == std::string::npos || !name_ok(std::string_view(name).substr(0, dot)) ||
        !name_ok(std::string_view(name).substr(dot + 1)))
      return std::nullopt;
    return std::pair(name.substr(0, dot), name.substr(dot + 1));
  };
  if (const std::string glue = string_or_empty(raw, "sink.glue_table"); !glue.empty()) {
    const auto names = split_name(glue);
    if (!names) {
      found.push_back(
          fmt::format("{}: sink.glue_table = \"{}\" must be \"database.table\", each lower-case "
                      "letters, digits and '_' (Athena's names)",
                      origin_of(raw, "sink.glue_table"), glue));
    } else if (sink.table != table_kind::iceberg || sink.output.where != output_location::kind::s3) {
      found.push_back(
          fmt::format("{}: sink.glue_table points Athena at an Iceberg table in S3: it needs "
                      "sink.table = \"iceberg\" and sink.output = \"s3://bucket/prefix\"",
                      origin_of(raw, "sink.glue_table")));
    } else {
      sink.glue = {.database = names->first,
                   .table = names->second,
                   .endpoint = string_or_empty(raw, "sink.glue_endpoint"),
                   .region = get<std::string>(raw, "s3.region")};
    }
  }
  if (const std::string uri = string_or_empty(raw, "sink.catalog_uri"); uri.empty()) {
    for (const char* key : {"sink.catalog_table", "sink.catalog_warehouse", "sink.catalog_token"}) {
      if (!string_or_empty(raw, key).empty()) {
        found.push_back(
            fmt::format("{}: {} is for a REST catalog, and sink.catalog_uri is not set: set it to "
                        "the catalog's address, or remove {}",
                        origin_of(raw, key), key, key));
      }
    }
  } else {
    const std::string name = string_or_empty(raw, "sink.catalog_table");
    const auto names = split_name(name);
    std::string_view path = uri;
    if (const auto scheme = path.find("://"); scheme != std::string_view::npos)
      path.remove_prefix(scheme + 3);
    while (path.ends_with('/')) path.remove_suffix(1);
    if ((!uri.starts_with("http://") && !uri.starts_with("https://")) || path.empty() ||
        path.starts_with('/')) {
      found.push_back(
          fmt::format("{}: sink.catalog_uri = \"{}\" must be an http:// or https:// address, the "
                      "catalog's base before /v1 (e.g. http://127.0.0.1:8181)",
                      origin_of(raw, "sink.catalog_uri"), uri));
    } else if (path.ends_with("/v1")) {
      found.push_back(
          fmt::format("{}: sink.catalog_uri = \"{}\" ends in /v1, which the sink adds itself: give "
                      "the catalog's base, without /v1",
                      origin_of(raw, "sink.catalog_uri"), uri));
    } else if (!sink.glue.database.empty()) {
      found.push_back(
          fmt::format("{}: sink.catalog_uri and sink.glue_table both name the table's keeper: with a "
                      "REST catalog, readers find the table through the catalog; remove one",
                      origin_of(raw, "sink.catalog_uri")));
    } else if (sink.table != table_kind::iceberg) {
      found.push_back(
          fmt::format("{}: sink.catalog_uri keeps an Iceberg table's versions: it needs sink.table = "
                      "\"iceberg\"",
                      origin_of(raw, "sink.catalog_uri")));
    } else if (!names) {
      found.push_back(
          fmt::format("{}: sink.catalog_table = \"{}\" must be \"namespace.table\", each "
                      "lower-case letters, digits and '_', the table's name in the catalog at "
                      "sink.catalog_uri",
                      origin_of(raw, name.empty() ? "sink.catalog_uri" : "sink.catalog_table"), name));
    } else {
      sink.catalog = {.uri = uri,
                      .ns = names->first,
                      .table = names->second,
                      .warehouse = string_or_empty(raw, "sink.catalog_warehouse"),
                      .token = string_or_empty(raw, "sink.catalog_token")};
    }
  }
  const auto has = [&](std::string_view spec) { return sink.layout.find(spec) != std::string::npos; };
  if (sink.table == table_kind::iceberg && !(has("%Y") && has("%m") && has("%d"))) {
    // The layout groups the events of a file: with a whole date in it, a file holds one day (or
    // one hour, with %H), as the table's partition needs.
    found.push_back(
        fmt::format("{}: sink.table = \"iceberg\" partitions the table by the hour or the day: "
                    "sink.layout must have %Y, %m and %d (and %H for hours), e.g. "
                    "\"year=%Y/month=%m/day=%d/hour=%H\"",
                    origin_of(raw, "sink.layout")));
  }
  if (sink.format == output_format::jsonl &&
      (sink.codec == compression::zstd || sink.codec == compression::snappy)) {
    if (is_default(raw, "sink.compression")) {
      sink.codec = compression::gzip;  // the default codec of JSON Lines
    } else {
      found.push_back(
          fmt::format("{}: sink.compression = \"{}\" is not offered for JSON Lines; use \"gzip\" or \"none\"",
                      origin_of(raw, "sink.compression"), get<std::string>(raw, "sink.compression")));
    }
  }
  validate_compression_level(raw, sink, found);
  sink.max_records = get<std::int64_t>(raw, "sink.max_records");
  sink.max_bytes = get<std::int64_t>(raw, "sink.max_bytes");
  sink.max_age = std::chrono::milliseconds(get<std::int64_t>(raw, "sink.max_age"));
  sink.compact_every = std::chrono::milliseconds(get<std::int64_t>(raw, "sink.compact_every"));
  if (sink.compact_every.count() > 0 && sink.compact_every < std::chrono::seconds(1)) {
    // Each round reads the table's manifests: a round a second is the most that makes sense.
    found.push_back(
        fmt::format("{}: sink.compact_every = {} ms: give 0s (off) or at least 1s (an hour is "
                    "plenty: partitions close once an hour)",
                    origin_of(raw, "sink.compact_every"), sink.compact_every.count()));
  } else if (sink.compact_every.count() > 0 && sink.table != table_kind::iceberg) {
    found.push_back(
        fmt::format("{}: sink.compact_every compacts an Iceberg table: it needs sink.table = "
                    "\"iceberg\" (Hive files are not compacted: docs/compaction.md says why)",
                    origin_of(raw, "sink.compact_every")));
  }
  sink.max_open_files = get<std::int64_t>(raw, "sink.max_open_files");
  sink.dedup_window = get<std::int64_t>(raw, "sink.dedup_window");
  sink.threads = threads_setting(raw, "sink.threads");
  sink.max_buffered_bytes = get<std::int64_t>(raw, "sink.max_buffered_bytes");
  sink.row_group_rows = get<std::int64_t>(raw, "sink.row_group_rows");
  sink.row_group_bytes = get<std::int64_t>(raw, "sink.row_group_bytes");
  if (const auto& listen = get<std::string>(raw, "sink.listen"); !listen.empty()) {
    if (auto ep = parse_endpoint(listen)) {
      sink.listen = *ep;
    } else {
      found.push_back(fmt::format(
          "{}: sink.listen = \"{}\" must be host:port, e.g. \"127.0.0.1:8081\", or \"\" to serve nothing",
          origin_of(raw, "sink.listen"), listen));
    }
  }
  sink.group_id = get<std::string>(raw, "sink.group_id");
  if (sink.group_id.empty()) {
    found.push_back(fmt::format("{}: sink.group_id is empty; name the sinks' consumer group",
                                origin_of(raw, "sink.group_id")));
  }
}

}  // namespace clicktrail::config
