#pragma once
// One function per subcommand of the `clicktrail` binary; main.cc parses the command line with
// CLI11 and calls one of them. Each returns the process exit code.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/sources.h"
#include "format/file_writer.h"
#include "table/compaction.h"

namespace clicktrail::app {

// Exit codes shared by every subcommand.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;     // a runtime failure, logged
inline constexpr int exit_bad_config = 2;  // the configuration or the command line is wrong

// The sources every config-reading subcommand combines: --config FILE, the environment, flags.
config::load_options config_sources(const std::optional<std::string>& file,
                                    std::vector<config::flag_override> flags = {});

int config_check(const std::string& file);
int config_docs();

// accept_offset_reset: --accept-offset-reset (sink::sink_options says what it does).
int run(const config::load_options& sources, bool accept_offset_reset);
int collect(const config::load_options& sources);
int sink_run(const config::load_options& sources, bool until_caught_up, bool accept_offset_reset);
int lambda_runtime(const config::load_options& sources);

struct convert_options {
  std::string input, output;
  format::writer_options writer;
};
int convert(const convert_options& options);
int inspect(const std::string& path, std::size_t rows);

// `clicktrail avro`: Avro container files (Iceberg's manifests) as JSON Lines, and back.
struct avro_cat_options {
  std::string file;
  bool schema = false;    // print the writer's schema instead of the datums
  bool metadata = false;  // print the header's metadata, one key and value a line
};
int avro_cat(const avro_cat_options& options);
struct avro_from_json_options {
  std::string schema_file, input, output;
  bool deflate = false;
};
int avro_from_json(const avro_from_json_options& options);

// `clicktrail iceberg append`: stored events into an Iceberg table (docs/iceberg.md). The table
// is sink.output (--table); its S3 settings come from the configuration as the sink's do.
struct iceberg_append_options {
  std::vector<std::string> inputs;
  bool daily = false;  // a new table partitioned by day() instead of hour()
};
int iceberg_append(const config::load_options& sources, const iceberg_append_options& options);
// `clicktrail iceberg cleanup`: the table's orphans (files no version references), listed and
// with `remove` removed; only those older than `older_than_s`, so that a writer's files not yet
// committed are left alone.
struct iceberg_cleanup_options {
  std::int64_t older_than_s = 3600;
  bool remove = false;
};
int iceberg_cleanup(const config::load_options& sources, const iceberg_cleanup_options& options);

// `clicktrail compact`: an Iceberg table's closed partitions rewritten into fewer files, without
// repeats (docs/compaction.md). The table is sink.output; `table_given` when --table named it (a
// configuration's sink.table must otherwise say "iceberg").
struct compact_options {
  table::compaction_options table;  // its codec comes from sink.compression
  bool dry_run = false;             // only list the partitions that would be compacted
};
int compact(const config::load_options& sources, bool table_given, const compact_options& options);

// `clicktrail tail`: the events arriving in Kafka or the embedded log, one line each.
struct tail_options {
  std::vector<std::string> sites, types;  // print only these (any of them); empty: all
  bool json = false;                      // the stored JSON line instead of the short line
  bool from_beginning = false;            // from the first record kept, not from the end
  bool bad = false;                       // the rejected input instead of the events
};
int tail(const config::load_options& sources, const tail_options& options);

}  // namespace clicktrail::app
