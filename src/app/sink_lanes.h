#pragma once
// Sinks that run side by side in one process, each on its own thread with its own source: the
// events and the rejected input, from Kafka (`clicktrail sink`, `clicktrail run` with [kafka]) or
// from the embedded log (`clicktrail run`). If one fails, the others stop too, so that the
// process exits and its restart recovers all of them.
//
// Used from one thread (main): add() each lane, start(), watch, stop(), finish().

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <vector>

#include "base/metrics.h"
#include "sink/sink.h"
#include "store/object_store.h"

namespace clicktrail::app {

class sink_lanes {
 public:
  sink_lanes() = default;
  sink_lanes(const sink_lanes&) = delete;
  sink_lanes& operator=(const sink_lanes&) = delete;
  // Stops and waits for lanes still running, and closes every source before its sink goes (a
  // Kafka consumer leaving its group calls back into the sink).
  ~sink_lanes();

  // `attach` connects the source to its sink (joining a consumer group, for Kafka); `close`, if
  // given, runs on the lane's thread as soon as its sink stopped (leaving the group).
  base::status add(std::unique_ptr<sink::source> source,
                   const std::function<base::status(sink::sink&)>& attach, std::function<void()> close,
                   store::object_store& store, const sink::sink_options& options, base::registry& metrics);

  void start(sink::sink::mode mode);
  bool any_failed() const;
  bool all_finished() const;
  void stop();            // asks every lane to finish what it has open and commit
  void drain_and_stop();  // the same, once each has read what its source holds now
  // Waits for every lane and closes its source; false when one of them failed (logged). Closing
  // twice is harmless, so finish() may run again (the destructor does).
  bool finish();
  sink::sink::progress progress() const;
  // For /readyz, from any thread: why the lanes are not all doing their job (a lane stopped, or
  // one of them not ready, or the store failing); nullopt when they are.
  std::optional<std::string> not_ready(const store::object_store& store) const;

 private:
  struct lane {
    std::unique_ptr<sink::source> source;
    std::unique_ptr<sink::sink> sink;
    std::function<void()> close;
    std::future<base::status> finished;
    std::atomic<bool> failed{false};
  };
  std::vector<std::unique_ptr<lane>> lanes_;
};

}  // namespace clicktrail::app
