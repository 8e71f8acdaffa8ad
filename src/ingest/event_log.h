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
};

}  // namespace clicktrail::ingest
