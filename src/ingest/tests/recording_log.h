#pragma once
// An event_log for the pipeline's unit tests: it keeps what was appended and confirms each
// record at once, fails it, or holds its confirmation until released, as told. The real transports (Kafka,
// the embedded log) are tested end to end against the real broker; this seam only isolates the pipeline's
// logic.

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "ingest/event_log.h"

namespace clicktrail::ingest {

class recording_log : public event_log {
 public:
  struct record {
    stream to;
    std::string key;
    std::string value;
  };

  void append(stream to, std::span<const record_ref> records, durable_fn done) override {
    {
      std::lock_guard lock(mutex_);
      for (const auto& r : records) records_.push_back({to, std::string(r.key), std::string(r.value)});
      if (hold_) {
        held_.push_back(std::move(done));
        return;
      }
    }
    done(fail_ ? base::status(base::error::retry("broker unreachable")) : base::status());
  }
  bool ready(std::chrono::milliseconds) override { return !fail_; }
  void settle() override { release_held(base::error::retry("shutting down")); }

  void fail_from_now(bool fail) { fail_ = fail; }
  // Confirmations wait, as they do when a broker holds a produce request, until release_held().
  void hold_from_now() {
    std::lock_guard lock(mutex_);
    hold_ = true;
  }
  void release_held(base::status s) {
    std::vector<durable_fn> held;
    {
      std::lock_guard lock(mutex_);
      held.swap(held_);
      hold_ = false;
    }
    for (auto& done : held) done(s);
  }
  std::vector<record> records(stream to) const {
    std::lock_guard lock(mutex_);
    std::vector<record> out;
    for (const auto& r : records_) {
      if (r.to == to) out.push_back(r);
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<record> records_;
  std::vector<durable_fn> held_;
  bool hold_ = false;
  bool fail_ = false;
};

}  // namespace clicktrail::ingest
