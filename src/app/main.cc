// The one `clicktrail` binary: parses the command line and hands over to a subcommand.
// The subcommands and their flags are the user-facing contract of DESIGN.md.

#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>

#include "app/commands.h"
#include "app/signals.h"
#include "base/version.h"

using namespace clicktrail;

int main(int argc, char** argv) {
  app::block_stop_signals();  // before any thread exists

  CLI::App cli{"clicktrail: web clickstream into your own object store, as Parquet or JSON Lines"};
  cli.set_version_flag("--version", std::string("clicktrail ") + base::version);
  cli.require_subcommand(1);

  std::optional<std::string> config_file;
  std::optional<std::string> listen, data, output;
  auto* run =
      cli.add_subcommand("run", "Collector + embedded log + sink in one process (the embedded default)");
  run->add_option("--config", config_file, "TOML config file")->check(CLI::ExistingFile);
  run->add_option("--listen", listen, "Address to listen on, host:port (http.listen)");
  run->add_option("--data", data, "Data directory: the embedded log and, without --output, the files");
  run->add_option("--output", output,
                  "Where files go: a path, file:///path or s3://bucket/prefix (sink.output)");

  auto* collect = cli.add_subcommand("collect", "HTTP collector: events in, durable in Kafka");
  collect->add_option("--config", config_file, "TOML config file")->required()->check(CLI::ExistingFile);

  bool until_caught_up = false;
  bool accept_offset_reset = false;
  constexpr const char* accept_reset_help =
      "Resume partitions whose offsets went back below what the output holds (a topic created again); their "
      "records go to new keys, nothing stored is overwritten";
  run->add_flag("--accept-offset-reset", accept_offset_reset, accept_reset_help);
  auto* sink =
      cli.add_subcommand("sink", "Kafka → Hive-partitioned files in S3 or a directory, exactly once");
  sink->add_option("--config", config_file, "TOML config file")->required()->check(CLI::ExistingFile);
  sink->add_flag("--until-caught-up", until_caught_up, "Drain to the end offsets seen at start, then exit");
  sink->add_flag("--accept-offset-reset", accept_offset_reset, accept_reset_help);

  auto* lambda = cli.add_subcommand("lambda", "AWS Lambda custom runtime (reads AWS_LAMBDA_RUNTIME_API)");
  lambda->add_option("--config", config_file, "TOML config file")->check(CLI::ExistingFile);

  auto* config_cmd =
      cli.add_subcommand("config", "Check a config file, or print the configuration reference");
  config_cmd->require_subcommand(1);
  std::string check_file;
  auto* check =
      config_cmd->add_subcommand("check", "Validate a config file (with the environment's overrides)");
  check->add_option("FILE", check_file, "TOML config file")->required();
  auto* docs =
      config_cmd->add_subcommand("docs", "Print every setting with its type, default and bounds (Markdown)");

  std::string inspect_file;
  auto* inspect =
      cli.add_subcommand("inspect", "Print a Parquet file's schema, row groups, statistics and first rows");
  inspect->add_option("FILE", inspect_file, "Parquet file")->required()->check(CLI::ExistingFile);
  std::size_t inspect_rows = 10;
  inspect->add_option("--rows", inspect_rows, "How many of the first rows to print (0: none)");

  app::convert_options convert_with;
  std::string convert_format = "parquet", convert_codec = "zstd";
  auto* convert = cli.add_subcommand(
      "convert", "Convert stored events in JSON Lines (.jsonl or .jsonl.gz) to Parquet or JSON Lines");
  convert->add_option("IN", convert_with.input, "JSON Lines of stored events, gzip or not")
      ->required()
      ->check(CLI::ExistingFile);
  convert
      ->add_option("OUT", convert_with.output,
                   "The file to write (replaced whole, or left untouched on error)")
      ->required();
  convert->add_option("--format", convert_format, "parquet or jsonl")
      ->check(CLI::IsMember({"parquet", "jsonl"}));
  convert->add_option("--compression", convert_codec, "zstd, snappy, gzip or none (JSON Lines: gzip or none)")
      ->check(CLI::IsMember({"zstd", "snappy", "gzip", "none"}));
  int convert_level = 0;
  convert
      ->add_option("--compression-level", convert_level,
                   "zstd 1 to 19, gzip 1 to 12; 0 (the default): the codec's own, zstd 1 and gzip 6")
      ->check(CLI::Range(0, 19));
  std::string convert_times = "ms";
  convert
      ->add_option(
          "--timestamps", convert_times,
          "Parquet: the unit of the timestamp columns, ms or us (microseconds, as Iceberg tables want)")
      ->check(CLI::IsMember({"ms", "us"}));
  convert->add_option("--row-group-rows", convert_with.writer.row_group_rows, "Parquet: rows per row group")
      ->check(CLI::Range(1, 16 * 1024 * 1024));

  app::avro_cat_options avro_cat_with;
  app::avro_from_json_options avro_write_with;
  auto* avro =
      cli.add_subcommand("avro", "Avro container files (Iceberg's manifests) as JSON Lines, and back");
  avro->require_subcommand(1);
  auto* avro_cat =
      avro->add_subcommand("cat", "Print an Avro file's datums as JSON Lines (Avro's JSON encoding)");
  avro_cat->add_option("FILE", avro_cat_with.file, "Avro object container file")
      ->required()
      ->check(CLI::ExistingFile);
  avro_cat->add_flag("--schema", avro_cat_with.schema, "Print the writer's schema instead");
  avro_cat->add_flag("--metadata", avro_cat_with.metadata, "Print the header's metadata instead");
  auto* avro_write =
      avro->add_subcommand("from-json", "Write an Avro file from JSON Lines in Avro's JSON encoding");
  avro_write->add_option("--schema", avro_write_with.schema_file, "The Avro schema, a JSON file")
      ->required()
      ->check(CLI::ExistingFile);
  avro_write->add_option("IN", avro_write_with.input, "JSON Lines, one datum a line")
      ->required()
      ->check(CLI::ExistingFile);
  avro_write->add_option("OUT", avro_write_with.output, "The file to write (replaced whole)")->required();
  avro_write->add_flag("--deflate", avro_write_with.deflate, "Compress the blocks with deflate");

  app::iceberg_append_options iceberg_with;
  std::string iceberg_table_url;
  auto* iceberg = cli.add_subcommand("iceberg", "Iceberg tables (docs/iceberg.md)");
  iceberg->require_subcommand(1);
  auto* iceberg_append = iceberg->add_subcommand(
      "append", "Append stored events (JSON Lines, gzip or not) to an Iceberg table, created if missing");
  iceberg_append
      ->add_option("--config", config_file, "TOML config file ([s3], sink.compression, sink.partition_by)")
      ->check(CLI::ExistingFile);
  iceberg_append
      ->add_option("--table", iceberg_table_url,
                   "The table's root: s3://bucket/prefix, file:///dir or a directory")
      ->required();
  iceberg_append->add_flag("--daily", iceberg_with.daily, "Partition a new table by day instead of by hour");
  iceberg_append->add_option("FILE", iceberg_with.inputs, "JSON Lines of stored events")
      ->required()
      ->check(CLI::ExistingFile);

  app::iceberg_cleanup_options cleanup_with;
  auto* iceberg_cleanup = iceberg->add_subcommand(
      "cleanup", "List (or --delete) the files of an Iceberg table that no version references");
  iceberg_cleanup->add_option("--config", config_file, "TOML config file ([s3])")->check(CLI::ExistingFile);
  iceberg_cleanup
      ->add_option("--table", iceberg_table_url,
                   "The table's root: s3://bucket/prefix, file:///dir or a directory")
      ->required();
  iceberg_cleanup
      ->add_option("--older-than", cleanup_with.older_than_s,
                   "Only files older than this many seconds (3600): younger ones may be a commit in progress")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{100} * 365 * 86400));
  iceberg_cleanup->add_flag("--delete", cleanup_with.remove, "Remove the orphans listed");

  app::compact_options compact_with;
  std::string compact_table_url;
  double compact_target_mib = 128, compact_settle_minutes = 60;
  auto* compact = cli.add_subcommand(
      "compact",
      "Rewrite the small files of an Iceberg table's closed time partitions into fewer, without repeated "
      "event ids (docs/compaction.md)");
  compact->add_option("--config", config_file, "TOML config file ([s3], sink.output, sink.compression)")
      ->check(CLI::ExistingFile);
  compact->add_option(
      "--table", compact_table_url,
      "The table's root: s3://bucket/prefix, file:///dir or a directory (default: sink.output)");
  compact->add_option("--target-mib", compact_target_mib, "Each new file's size, about, in MiB (128)")
      ->check(CLI::Range(1.0, 16384.0));
  compact
      ->add_option(
          "--settle-minutes", compact_settle_minutes,
          "Compact a partition only this long after its hour or day ended (60): late events come first")
      ->check(CLI::Range(0.0, 365.0 * 24 * 60));
  compact
      ->add_option("--max-events", compact_with.table.max_events,
                   "Leave alone a partition of more events than this (20000000): each id is held in memory")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40));
  compact->add_flag("--dry-run", compact_with.dry_run, "Only list the partitions that would be compacted");

  app::tail_options tail_with;
  auto* tail = cli.add_subcommand(
      "tail", "Print the events arriving in Kafka or the embedded log, one line each, as they come");
  tail->add_option("--config", config_file, "TOML config file")->required()->check(CLI::ExistingFile);
  tail->add_option("--site", tail_with.sites, "Only events of this site key (repeat for more)");
  tail->add_option("--type", tail_with.types, "Only events of this type, e.g. click (repeat for more)");
  tail->add_flag("--json", tail_with.json, "Print each record's JSON as stored instead of a short line");
  tail->add_flag("--from-beginning", tail_with.from_beginning,
                 "Start at the first record kept instead of at the end");
  tail->add_flag("--bad", tail_with.bad, "Print the rejected input (reason, detail) instead of the events");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    return code == 0 ? app::exit_ok : app::exit_bad_config;
  }

  if (*run) {
    std::vector<config::flag_override> flags;
    if (listen) flags.push_back({"http.listen", *listen, "--listen"});
    if (data && !output) flags.push_back({"sink.output", *data, "--data"});
    if (data) flags.push_back({"wal.dir", *data + "/_clicktrail/wal", "--data"});
    if (output) flags.push_back({"sink.output", *output, "--output"});
    return app::run(app::config_sources(config_file, std::move(flags)), accept_offset_reset);
  }
  if (*check) return app::config_check(check_file);
  if (*docs) return app::config_docs();
  if (*collect) return app::collect(app::config_sources(config_file));
  if (*sink) return app::sink_run(app::config_sources(config_file), until_caught_up, accept_offset_reset);
  if (*lambda) return app::lambda_runtime(app::config_sources(config_file));
  if (*inspect) return app::inspect(inspect_file, inspect_rows);
  if (*iceberg_append) {
    return app::iceberg_append(
        app::config_sources(config_file, {{"sink.output", iceberg_table_url, "--table"}}), iceberg_with);
  }
  if (*iceberg_cleanup) {
    return app::iceberg_cleanup(
        app::config_sources(config_file, {{"sink.output", iceberg_table_url, "--table"}}), cleanup_with);
  }
  if (*compact) {
    compact_with.table.target_bytes = static_cast<std::int64_t>(compact_target_mib * (1 << 20));
    compact_with.table.settle_ms = static_cast<std::int64_t>(compact_settle_minutes * 60'000);
    std::vector<config::flag_override> flags;
    if (!compact_table_url.empty()) flags.push_back({"sink.output", compact_table_url, "--table"});
    if (compact_table_url.empty() && !config_file) {
      std::fputs("clicktrail compact needs --table URL, or --config FILE whose sink.output is the table\n",
                 stderr);
      return app::exit_bad_config;
    }
    return app::compact(app::config_sources(config_file, std::move(flags)), !compact_table_url.empty(),
                        compact_with);
  }
  if (*avro_cat) return app::avro_cat(avro_cat_with);
  if (*avro_write) return app::avro_from_json(avro_write_with);
  if (*convert) {
    convert_with.writer.times = convert_times == "us" ? format::time_unit::micros : format::time_unit::millis;
    convert_with.writer.format =
        convert_format == "jsonl" ? config::output_format::jsonl : config::output_format::parquet;
    convert_with.writer.codec = convert_codec == "zstd"     ? config::compression::zstd
                                : convert_codec == "snappy" ? config::compression::snappy
                                : convert_codec == "gzip"   ? config::compression::gzip
                                                            : config::compression::none;
    if (convert_with.writer.format == config::output_format::jsonl &&
        (convert_codec == "zstd" || convert_codec == "snappy")) {
      std::fprintf(stderr, "--compression %s is not offered for JSON Lines; use gzip or none\n",
                   convert_codec.c_str());
      return app::exit_bad_config;
    }
    const int most_level = config::most_compression_level(convert_with.writer.codec);
    if (convert_level > most_level) {
      if (most_level == 0) {
        std::fprintf(stderr, "--compression-level %d: %s has no levels; leave the option out\n",
                     convert_level, convert_codec.c_str());
      } else {
        std::fprintf(stderr,
                     "--compression-level %d is past %s's levels; give 1 to %d, or 0 for its default\n",
                     convert_level, convert_codec.c_str(), most_level);
      }
      return app::exit_bad_config;
    }
    convert_with.writer.compression_level = convert_level;
    return app::convert(convert_with);
  }
  if (*tail) return app::tail(app::config_sources(config_file), tail_with);
  return app::exit_bad_config;
}
