// `clicktrail compact`: the small files of an Iceberg table's closed time partitions rewritten
// into files of a target size, without repeated event ids, one replace snapshot per partition
// (docs/compaction.md).

#include <fmt/format.h>

#include "app/commands.h"
#include "app/table_store.h"
#include "base/clock.h"
#include "base/metrics.h"
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
  table::iceberg_table tbl(store, table::location_of(store), table::partitioning{});
  if (auto s = tbl.refresh(); !s) {
    fmt::print(stderr, "{}\n", s.err().message);
    return exit_failure;
  }
  if (tbl.current() == nullptr) {
    fmt::print(stderr, "{} holds no Iceberg table (no metadata/v<N>.metadata.json); nothing to compact\n",
               tbl.uri_of(""));
    return exit_failure;
  }
  auto live = tbl.live_files();
  if (!live) {
    fmt::print(stderr, "{}\n", live.err().message);
    return exit_failure;
  }
  table::compaction_options with = o.table;
  with.codec = cfg.sink.codec;
  const table::partitioning p = tbl.current()->partition;  // a copy: each commit replaces current()
  const auto plans = table::plan_compaction(*live, p, base::now_unix_ms(), with);
  int failed = 0;
  table::partition_outcome total;
  for (const table::partition_plan& plan : plans) {
    if (o.dry_run) {
      fmt::print("{}\t{} files\t{} events\t{} bytes\n", p.directory(plan.partition), plan.files.size(),
                 plan.records, plan.bytes);
      continue;
    }
    auto done = table::compact_partition(store, tbl, plan, with);
    if (!done) {
      // The other partitions can still be compacted: this one is as it was.
      fmt::print(stderr, "{}: {}\n", p.directory(plan.partition), done.err().message);
      ++failed;
      continue;
    }
    fmt::print("{}\t{} files -> {}\t{} events -> {}\t{} repeats removed\n", p.directory(plan.partition),
               done->files_in, done->files_out, done->records_in, done->records_out, done->repeats);
    total.files_in += done->files_in;
    total.files_out += done->files_out;
    total.records_in += done->records_in;
    total.records_out += done->records_out;
    total.repeats += done->repeats;
  }
  if (o.dry_run) {
    fmt::print(stderr, "{}: {} partitions to compact (a dry run: nothing was written)\n", tbl.uri_of(""),
               plans.size());
  } else {
    fmt::print(stderr,
               "{}: {} partitions compacted, {} failed: {} files into {}, {} events into {} ({} repeats "
               "removed); now version {}. The replaced files stay for older snapshots until they expire; "
               "`clicktrail iceberg cleanup` removes them after\n",
               tbl.uri_of(""), plans.size() - static_cast<std::size_t>(failed), failed, total.files_in,
               total.files_out, total.records_in, total.records_out, total.repeats, tbl.version());
  }
  const bool published = o.dry_run || publish_to_glue(cfg, tbl);
  return failed > 0 || !published ? exit_failure : exit_ok;
}

}  // namespace clicktrail::app
