#include "sink/table_compactor.h"

#include "base/clock.h"
#include "base/log.h"
#include "table/iceberg_table.h"

namespace clicktrail::sink {

table_compactor::table_compactor(store::object_store& store,
                                 const std::optional<clicktrail::table::rest_options>& catalog,
                                 clicktrail::table::compaction_options options,
                                 std::chrono::milliseconds every, base::registry& metrics)
    : store_(store),
      catalog_(catalog),
      options_(options),
      every_(every),
      compacted_(metrics.add_counter("clicktrail_sink_compacted_partitions_total",
                                     "Time partitions of the Iceberg table compacted by the sink "
                                     "(sink.compact_every): each one replace snapshot.")),
      failed_(metrics.add_counter("clicktrail_sink_compaction_failures_total",
                                  "Compactions by the sink that failed (logged; a partition is left as it "
                                  "was and tried again at the next round).")),
      repeats_(metrics.add_counter("clicktrail_sink_compaction_repeats_total",
                                   "Events compaction dropped because an earlier copy had their event_id.")),
      thread_([this] { run(); }) {}

void table_compactor::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

table_compactor::~table_compactor() {
  stop();
  thread_.join();
}

void table_compactor::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (wake_.wait_for(lock, every_, [this] { return stopping_; })) return;
    lock.unlock();
    compact_once();
    lock.lock();
  }
}

void table_compactor::compact_once() {
  auto& log = base::logger_for("compact");
  // A table object of this thread's own: iceberg_table is one writer's view.
  clicktrail::table::iceberg_table tbl(store_, clicktrail::table::location_of(store_),
                                       clicktrail::table::partitioning{}, {},
                                       table_catalog(catalog_, store_));
  if (auto s = tbl.refresh(); !s) {
    failed_.inc();
    log.warn("compaction could not read the table: {}", s.err().message);
    return;
  }
  auto done = clicktrail::table::compact_table(
      store_, tbl, base::now_unix_ms(), options_,
      [&](const std::string& partition, const base::result<clicktrail::table::partition_outcome>& d) {
        if (!d && d.err().conflicting()) {
          // Another compaction (another sink of the group) replaced these files first: done.
          log.info("partition {} was compacted by another writer first", partition);
        } else if (!d) {
          failed_.inc();
          log.warn("partition {} not compacted: {}", partition, d.err().message);
        } else {
          compacted_.inc();
          repeats_.inc(static_cast<std::uint64_t>(d->repeats));
          log.info("compacted partition={} files={}->{} events={}->{} repeats={}", partition, d->files_in,
                   d->files_out, d->records_in, d->records_out, d->repeats);
        }
        // The sink is stopping: the partitions left wait for the next start.
        const std::lock_guard lock(mutex_);
        return !stopping_;
      });
  if (!done) {
    failed_.inc();
    log.warn("compaction could not read the table: {}", done.err().message);
  }
}

}  // namespace clicktrail::sink
