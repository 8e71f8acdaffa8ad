#pragma once
// Where ingest puts events to make them durable: Kafka in a distributed deployment, the embedded
// log in `clicktrail run`. The app adapts each transport to this interface, so ingest knows
// neither.
//
// Thread-safety: append() is called from many request threads at once.

#include <chrono>
#include <functional>
#include <string_view>

#include "base/result.h"

namespace clicktrail::ingest {

enum class stream { events, bad };  // the accepted-events topic, or the rejected-input topic

// Called exactly once per record, from any thread: ok once the record is durable, or an error
// (outcome::retry when the log is briefly unavailable).
using durable_fn = std::function<void(base::status)>;

class event_log {
 public:
  virtual ~event_log() = default;
  // Copies key and value. `done` may run before append() returns.
  virtual void append(stream to, std::string_view key, std::string_view value, durable_fn done) = 0;
  // For /readyz: can records be made durable right now?
  virtual bool ready(std::chrono::milliseconds timeout) = 0;
  // For shutdown: runs every `done` still owed (delivered, or failed with retry) and fails later
  // appends at once; returns when none is owed. The callbacks reach what appended (the pipeline,
  // the server's sessions), so call it while those still exist; settle_on_exit does.
  virtual void settle() = 0;
};

// Settles `log` when it goes out of scope: declared after the pipeline and the server, it goes
// before them, whichever way the scope is left.
class settle_on_exit {
 public:
  explicit settle_on_exit(event_log& log) : log_(log) {}
  ~settle_on_exit() { log_.settle(); }
  settle_on_exit(const settle_on_exit&) = delete;
  settle_on_exit& operator=(const settle_on_exit&) = delete;

 private:
  event_log& log_;
};

}  // namespace clicktrail::ingest
