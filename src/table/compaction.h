#pragma once
// Compaction of an Iceberg table (docs/compaction.md): the small files of each closed time
// partition rewritten into files of a target size, without repeated event ids, and committed as
// one replace snapshot per partition. Readers see the partition's old files or its new ones,
// never both and never neither; the old files stay in the store for the snapshots that name them
// until they expire, and `clicktrail iceberg cleanup` removes them after.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "store/object_store.h"
#include "table/iceberg_table.h"
#include "table/manifests.h"

namespace clicktrail::table {

struct compaction_options {
  std::int64_t target_bytes = std::int64_t{128} << 20;  // each new file's size, about
  // A partition is closed, and compacted, this long after its time range ends: late events
  // (the sink's files close up to sink.max_age later) have arrived by then.
  std::int64_t settle_ms = 3'600'000;
  // The most events of one partition compaction takes on: it holds each one's id in memory
  // (about 50 bytes) to drop repeats. A bigger partition is left alone, with a message.
  std::int64_t max_events = 20'000'000;
  config::compression codec = config::compression::zstd;
  int compression_level = 0;  // 0: the codec's default
};

// One partition to compact: its files, in the order their copies of an event count (the earliest
// commit's first), and what they hold.
struct partition_plan {
  std::int32_t partition = 0;
  std::vector<manifest_entry> files;
  std::int64_t bytes = 0, records = 0;
};

// The closed partitions of `live` (the table's data files) that have more files than their size
// needs: at least two, and more than bytes / target rounded up. Each partition's files ordered by
// the sequence number of the commit that added them, then by path.
std::vector<partition_plan> plan_compaction(const std::vector<manifest_entry>& live, const partitioning& p,
                                            std::int64_t now_ms, const compaction_options& o);

struct partition_outcome {
  std::int64_t files_in = 0, files_out = 0;
  std::int64_t records_in = 0, records_out = 0;
  std::int64_t repeats = 0;  // events dropped because an earlier copy had their id
};

// Rewrites one partition's files and commits the replace. Nothing is committed on an error: the
// files written so far are removed, and the table is as it was. outcome::conflict when another
// compaction replaced some of the files first.
base::result<partition_outcome> compact_partition(store::object_store& store, iceberg_table& table,
                                                  const partition_plan& plan, const compaction_options& o);

struct table_outcome {
  partition_outcome total;    // of the partitions compacted
  std::size_t compacted = 0;  // partitions
  std::size_t failed = 0;     // partitions left as they were, each reported
};
// Called after each partition (its directory under data/, "collector_ts_hour=2026-11-25-10"), with
// what compacting it did or why it did not; false stops the compaction there (the partitions left
// are left as they are).
using partition_report =
    std::function<bool(const std::string& partition, const base::result<partition_outcome>&)>;

// Every partition of the table's version as last read (refresh() it first) that plan_compaction
// picks at `now_ms`, compacted one after the other (`clicktrail compact`, and the sink's sink.compact_every).
// A partition that fails is reported and left as it was; the others go on. An error only when the table
// cannot be read.
base::result<table_outcome> compact_table(store::object_store& store, iceberg_table& table,
                                          std::int64_t now_ms, const compaction_options& o,
                                          const partition_report& report);

}  // namespace clicktrail::table
