#pragma once
// The sink's background compaction (sink.compact_every; docs/compaction.md): every interval, on a
// thread of its own, the sink's Iceberg table is compacted as `clicktrail compact` would (its
// closed partitions' small files rewritten into files of the target size, repeats removed, one
// replace snapshot a partition). It commits through its own table object, so the sink's commits
// and its own race as any two writers do: the loser reads the winner's version and tries again
// (a replace whose files another compaction replaced first is dropped, its files removed).
//
// Every sink of a group runs one: they compact the same partitions at most once between them,
// the others' replaces refused. A failure is logged and counted, and tried again next time.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "base/metrics.h"
#include "sink/sink_options.h"
#include "store/object_store.h"
#include "table/compaction.h"

namespace clicktrail::sink {

class table_compactor {
 public:
  // Starts the thread; the first compaction is one interval after the start.
  table_compactor(store::object_store& store, const std::optional<clicktrail::table::rest_options>& catalog,
                  clicktrail::table::compaction_options options, std::chrono::milliseconds every,
                  base::registry& metrics);
  // Asks the thread to stop after the partition being compacted, if any; returns at once.
  void stop();
  // stop(), then waits for the thread.
  ~table_compactor();
  table_compactor(const table_compactor&) = delete;
  table_compactor& operator=(const table_compactor&) = delete;

 private:
  void run();
  void compact_once();

  store::object_store& store_;
  std::optional<clicktrail::table::rest_options> catalog_;
  clicktrail::table::compaction_options options_;
  std::chrono::milliseconds every_;
  base::counter& compacted_;
  base::counter& failed_;
  base::counter& repeats_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // under mutex_
  std::thread thread_;
};

}  // namespace clicktrail::sink
