#pragma once
// Ingest's event log on the embedded log: accepted events into one wal::log, rejected input
// into another. A record is acknowledged once its group commit is fsync'd.

#include "ingest/event_log.h"
#include "wal/log.h"

namespace clicktrail::app {

class wal_event_log : public ingest::event_log {
 public:
  wal_event_log(wal::log& events, wal::log& bad) : events_(events), bad_(bad) {}

  void append(ingest::stream to, std::string_view, std::string_view value, ingest::durable_fn done) override {
    (to == ingest::stream::events ? events_ : bad_).append(value, std::move(done));
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
