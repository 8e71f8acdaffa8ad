#pragma once
// One request's answer while its events are being made durable: it collects the event log's
// delivery results and answers once, either when the last result arrives or when the request's
// deadline passes, whichever is first.
//
// Lifetime: shared by the request's delivery callbacks and, weakly, by the answer_deadlines that
// watches it; gone once the last delivery result has arrived.
// Thread-safety: delivered() and expire() may race from any threads; exactly one of them answers.

#include <atomic>
#include <cstddef>

#include "base/result.h"
#include "ingest/exchange.h"
#include "ingest/probe.h"

namespace clicktrail::ingest {

class pending_answer {
 public:
  pending_answer(std::size_t records, ingest_response success, respond_fn respond, probe& p);

  // One record's delivery result; the last one answers, 2xx only if none failed.
  void delivered(const base::status& s);
  // The deadline has passed: answer 503 now unless the answer has gone already.
  void expire();

 private:
  void answer(bool durable);

  std::atomic<std::size_t> remaining_;
  std::atomic<bool> failed_{false};
  std::atomic<bool> answered_{false};
  ingest_response success_;  // touched only by whoever wins answered_
  respond_fn respond_;       // likewise
  probe& probe_;
};

}  // namespace clicktrail::ingest
