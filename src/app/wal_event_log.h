#pragma once
// Ingest's event log on the embedded log: accepted events into one wal::log, rejected input
// into another. A record is acknowledged once its group commit is fsync'd.

#include "ingest/event_log.h"
#include "wal/log.h"

namespace clicktrail::app {

class wal_event_log : public ingest::event_log {
 public:
  wal_event_log(wal::log& events, wal::log& bad) : events_(events), bad_(bad) {}

  void append(ingest::stream to, std::span<const ingest::record_ref> records,
              ingest::durable_fn done) override {
    wal::log& log = to == ingest::stream::events ? events_ : bad_;
    if (records.size() == 1) return log.append(records.front().value, std::move(done));
    const auto each = ingest::per_record(records.size(), std::move(done));
    for (const auto& r : records) log.append(r.value, each);
  }
  bool ready(std::chrono::milliseconds) override { return events_.healthy() && bad_.healthy(); }
  void settle() override {
    events_.settle();
    bad_.settle();
  }

 private:
  wal::log& events_;
  wal::log& bad_;
};

}  // namespace clicktrail::app
