#pragma once
// Where ingest puts events to make them durable: Kafka in a distributed deployment, the embedded
// log in `clicktrail run`. The app adapts each transport to this interface, so ingest knows
// neither.
//
// Thread-safety: append() is called from many request threads at once.

#include <chrono>
#include <functional>
#include <span>
#include <string_view>

#include "base/record_ref.h"
#include "base/result.h"

namespace clicktrail::ingest {

enum class stream { events, bad };  // the accepted-events topic, or the rejected-input topic

// Called exactly once per append, from any thread: ok once every record of it is durable, or an
// error (outcome::retry when the log is briefly unavailable).
using durable_fn = std::function<void(base::status)>;

// One record to append: its key (which partition) and value, both copied by append().
using record_ref = base::record_ref;

class event_log {
 public:
  virtual ~event_log() = default;
  // Copies the records; `done` runs once for all of them (a request's events are one append, so
  // the request costs one completion, not one per event), and may run before append() returns.
  virtual void append(stream to, std::span<const record_ref> records, durable_fn done) = 0;
  void append(stream to, std::string_view key, std::string_view value, durable_fn done) {
    const record_ref one{key, value};
    append(to, std::span<const record_ref>(&one, 1), std::move(done));
  }
  // For /readyz: can records be made durable right now?
  virtual bool ready(std::chrono::milliseconds timeout) = 0;
  // For shutdown: runs every `done` still owed (delivered, or failed with retry) and fails later
  // appends at once; returns when none is owed. The callbacks reach what appended (the pipeline,
  // the server's sessions), so call it while those still exist; settle_on_exit does.
  virtual void settle() = 0;
};

// For a log that confirms records one by one: returns the function to call once per record
// (`records` calls in all); `done` runs after the last call, with the first error any had.
durable_fn per_record(std::size_t records, durable_fn done);

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
