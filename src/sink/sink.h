#pragma once
// The sink: records from a source (Kafka or the embedded log) into Hive-partitioned files in an
// object store, or an Iceberg table of them (sink.table), exactly once. Per assigned partition: route →
// append → rotate → upload → commit; on assignment, recovery removes what an uncommitted run left behind.
//
// A partition whose claim another owner took over (outcome::conflict from its writer: the group
// gave the partition to another sink while this one stalled) is dropped — never retried — and
// the sink waits for the source to revoke it; if the source still says it is ours, the sink takes
// it back, and if that keeps happening, another writer outside the group writes the same output
// and the sink stops (docs/sink.md, "Fencing").
//
// Lifetime and threads: run() is called once, on one thread, which owns the source and every
// partition_writer; while it waits inside a step, the workers (workers.h) route and append a batch's
// partitions side by side, each partition's records on one worker at a time. stop() may be called
// from any thread.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "base/metrics.h"
#include "sink/partition_writer.h"
#include "sink/probe.h"
#include "sink/router.h"
#include "sink/sink_options.h"
#include "sink/source.h"
#include "sink/workers.h"
#include "store/object_store.h"
#include "table/iceberg_table.h"

namespace clicktrail::sink {

class sink : public assignment_listener {
 public:
  sink(source& from, store::object_store& to, sink_options options, base::registry& metrics);
  ~sink() override;

  enum class mode { forever, until_caught_up };
  // Runs until stop() (then closes and commits what is open) or, in until_caught_up mode, until
  // every partition has reached the end offset it had when run() began. An error is returned
  // when the store or the source fails beyond their retries: nothing past the store's content
  // was committed, and a restart recovers.
  base::status run(mode m);
  void stop() noexcept { stopping_ = true; }
  // Like stop(), once everything the source holds now is written: for a source whose records
  // should be in the store when the process ends (the embedded log).
  void drain_and_stop() noexcept { draining_ = true; }

  // Progress for --until-caught-up's status line.
  struct progress {
    std::int64_t records = 0;
    std::int64_t lag = 0;  // records between the partitions' positions and their end offsets
  };
  progress current_progress() const;

  // For /readyz, from any thread: why this sink is not doing its job right now (not yet in its
  // group, or partitions taken over and not yet revoked); nullopt when it is.
  std::optional<std::string> not_ready() const;

  std::map<std::int32_t, std::int64_t> on_assigned(
      const std::map<std::int32_t, std::optional<std::int64_t>>& committed) override;
  void on_revoked(const std::vector<std::int32_t>& partitions) override;

 private:
  base::status step();  // one turn of the loop
  // One partition's records of a batch, routed and appended on a worker.
  struct partition_work {
    partition_writer* writer = nullptr;
    std::vector<const source_record*> records;
    std::int64_t written = 0;  // records appended or skipped
    base::status outcome;      // the first error, where the worker stopped
  };
  // Routes and appends a batch, in slices of a sixteenth of the memory bound with the bound
  // checked between them, so that a large batch cannot carry memory far past it.
  base::status write(const std::vector<std::unique_ptr<source_record>>& batch);
  base::status write_slice(std::span<const std::unique_ptr<source_record>> slice);
  void write_partition(router& route, partition_work& work);  // on a worker
  void count_cache_use();
  base::status rotate(base::steady::time_point now, bool everything);
  // Closes files early while the sink holds more than max_open_files or max_buffered_bytes.
  base::status keep_within_bounds();
  base::status commit();
  // sink.table = "iceberg": one table commit of the events of every partition `ready` to commit
  // (to its commit point), with their offsets; a partition another writer moved in the table
  // meanwhile is fenced.
  base::status commit_to_table(const std::map<std::int32_t, std::int64_t>& ready);
  // What the table records for partition p (docs/iceberg.md); nullopt: nothing yet.
  base::result<std::optional<std::int64_t>> table_offset_of(std::int32_t p);
  static std::optional<std::int64_t> intent_follows_table(const partition_writer& writer,
                                                          std::optional<std::int64_t> commit_point);
  // Recovery on assignment (docs/sink.md): takes the partition's claim (partition_claim::take)
  // and makes its writer; a claim that another writer changed meanwhile leaves it fenced.
  base::status take(std::int32_t partition, std::optional<std::int64_t> group_offset);
  bool caught_up() const;

  // A conflict from partition `p`'s writer drops the partition (a fence) and is no error for the
  // sink; any other error is returned as it is.
  base::status settle(std::int32_t p, base::status s);
  base::status tell_source(std::int32_t p, std::int64_t offset);
  void fence(std::int32_t p, std::int64_t probe_offset, const std::string& why);
  // Every fenced partition still assigned is checked once a second: a commit of its committed
  // offset that the source accepts means it is ours after all — the writer that took it was a
  // stalled sink of the group, or one outside it — and the sink takes it back (a few times).
  base::status check_fences();

  struct fenced_partition {
    std::int64_t probe_offset = 0;  // what the source was last told: what a probe commits again
    base::steady::time_point checked;
  };

  source& source_;
  store::object_store& store_;
  sink_options options_;
  probe probe_;
  std::vector<std::unique_ptr<router>> routers_;  // one per worker: each has its user-agent cache
  workers workers_;
  std::optional<clicktrail::table::iceberg_table> table_;      // sink.table = "iceberg"
  std::unique_ptr<clicktrail::table::glue_catalog> glue_;      // sink.glue_table
  std::uint64_t ua_hits_counted_ = 0, ua_misses_counted_ = 0;  // the router's, added to the metrics
  std::map<std::int32_t, std::unique_ptr<partition_writer>> partitions_;
  std::map<std::int32_t, fenced_partition> fenced_;  // claims lost, waiting for revocation
  std::map<std::int32_t, std::vector<base::steady::time_point>> retakes_;  // partitions taken back, when
  std::set<std::int32_t> taken_;                      // partitions this process has taken over at least once
  std::map<std::int32_t, std::int64_t> end_offsets_;  // until_caught_up: the targets
  std::optional<base::status> assignment_error_;      // a failure inside a callback, raised by run()
  std::atomic<bool> stopping_{false};
  std::atomic<bool> assigned_once_{false};      // the source has told us our partitions (maybe none)
  std::atomic<bool> nothing_to_assign_{false};  // the source's word after the last poll
  std::atomic<std::size_t> fenced_count_{0};    // fenced_.size(), for other threads
  std::atomic<bool> draining_{false};
  std::int64_t records_ = 0;
  std::int64_t buffered_ = 0;                   // what this sink last added to probe_.buffered_bytes
  std::int64_t unchecked_bytes_ = 0;            // record bytes appended since keep_within_bounds() last ran
  int failed_commits_ = 0;                      // commits of the group's offset that failed in a row
  std::chrono::milliseconds mirror_backoff_{};  // and the wait before the next attempt
  base::steady::time_point mirror_retry_at_{};
};

}  // namespace clicktrail::sink
