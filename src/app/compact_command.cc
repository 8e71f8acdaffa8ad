// `clicktrail compact`: the small files of an Iceberg table's closed time partitions rewritten
// into files of a target size, without repeated event ids, one replace snapshot per partition
// (docs/compaction.md).

#include <fmt/format.h>

#include "app/commands.h"
#include "app/table_store.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "sink/sink_options.h"
#include "table/compaction.h"

namespace clicktrail::app {

int compact(const config::load_options& sources, bool table_given, const compact_options& o) {
  base::registry metrics;
  int exit = exit_ok;
  const auto hive_refused = [&](const config::config& c) -> std::optional<std::string> {
    if (table_given || c.sink.table == config::table_kind::iceberg) return std::nullopt;
    return fmt::format(
        "{} holds Hive-partitioned files (sink.table = \"files\"), which clicktrail does not compact: "
        "replacing many objects in a bucket cannot be atomic, so a reader listing them during the swap "
        "would count events twice or miss them (docs/compaction.md). Keep an Iceberg table instead "
        "(sink.table = \"iceberg\"; `clicktrail iceberg append` loads the files already written)",
        c.sink.output_text);
  };
  auto opened = open_table_store(sources, "compact", metrics, exit, hive_refused);
  if (!opened) return exit;
  const config::config& cfg = opened->cfg;
  store::object_store& store = *opened->store;
  table::iceberg_table tbl(store, table::location_of(store), table::partitioning{}, {},
                           sink::table_catalog(sink::options_from(cfg.sink).catalog, store));
  if (auto s = tbl.refresh(); !s) {
    fmt::print(stderr, "{}\n", s.err().message);
    return exit_failure;
  }
  if (tbl.current() == nullptr) {
    fmt::print(stderr, "{} holds no Iceberg table yet (no committed version); nothing to compact\n",
               tbl.uri_of(""));
    return exit_failure;
  }
  table::compaction_options with = o.table;
  with.codec = cfg.sink.codec;
  with.compression_level = cfg.sink.compression_level;
  const table::partitioning p = tbl.current()->partition;
  if (o.dry_run) {
    auto live = tbl.live_files();
    if (!live) {
      fmt::print(stderr, "{}\n", live.err().message);
      return exit_failure;
    }
    const auto plans = table::plan_compaction(*live, p, base::now_unix_ms(), with);
    for (const table::partition_plan& plan : plans) {
      fmt::print("{}\t{} files\t{} events\t{} bytes\n", p.directory(plan.partition), plan.files.size(),
                 plan.records, plan.bytes);
    }
    fmt::print(stderr, "{}: {} partitions to compact (a dry run: nothing was written)\n", tbl.uri_of(""),
               plans.size());
    return exit_ok;
  }
  auto done = table::compact_table(
      store, tbl, base::now_unix_ms(), with,
      [&](const std::string& partition, const base::result<table::partition_outcome>& d) {
        // A partition that fails is as it was; the others are still compacted.
        if (!d) {
          fmt::print(stderr, "{}: {}\n", partition, d.err().message);
          return true;
        }
        fmt::print("{}\t{} files -> {}\t{} events -> {}\t{} repeats removed\n", partition, d->files_in,
                   d->files_out, d->records_in, d->records_out, d->repeats);
        return true;
      });
  if (!done) {
    fmt::print(stderr, "{}\n", done.err().message);
    return exit_failure;
  }
  const table::partition_outcome& total = done->total;
  fmt::print(stderr,
             "{}: {} partitions compacted, {} failed: {} files into {}, {} events into {} ({} repeats "
             "removed); now version {}. The replaced files stay for older snapshots until they expire; "
             "`clicktrail iceberg cleanup` removes them after\n",
             tbl.uri_of(""), done->compacted, done->failed, total.files_in, total.files_out, total.records_in,
             total.records_out, total.repeats, tbl.version());
  const bool published = publish_to_glue(cfg, tbl);
  return done->failed > 0 || !published ? exit_failure : exit_ok;
}

}  // namespace clicktrail::app
