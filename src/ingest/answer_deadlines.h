#pragma once
// Makes a request's promise hold whatever its event log does: at its deadline, a request whose
// events are not yet durable is answered 503 (the client retries). The event log's own timeout
// is not enough on its own: librdkafka checks message.timeout.ms about once a second, and a
// batch already sent to a broker that has lost its in-sync replicas waits for that broker's
// answer, which kept clients waiting twice the produce timeout and more.
//
// Lifetime: one per pipeline. Its thread sleeps until the earliest deadline; the destructor
// stops it without expiring what is left (the event log's flush answers those).
// Thread-safety: watch() is called from many request threads at once.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "ingest/pending_answer.h"

namespace clicktrail::ingest {

class answer_deadlines {
 public:
  answer_deadlines();
  ~answer_deadlines();
  answer_deadlines(const answer_deadlines&) = delete;
  answer_deadlines& operator=(const answer_deadlines&) = delete;

  // Expires `answer` at `when` if it is still alive then. Holds it weakly: an answer that has
  // gone costs only its entry until its deadline.
  void watch(base::steady::time_point when, std::weak_ptr<pending_answer> answer);

 private:
  struct entry {
    base::steady::time_point when;
    std::weak_ptr<pending_answer> answer;
    bool operator>(const entry& o) const { return when > o.when; }
  };
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::priority_queue<entry, std::vector<entry>, std::greater<>> due_;  // earliest on top
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the rest exists
};

}  // namespace clicktrail::ingest
