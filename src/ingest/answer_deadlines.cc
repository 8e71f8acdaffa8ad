#include "ingest/answer_deadlines.h"

#include <utility>

namespace clicktrail::ingest {

answer_deadlines::answer_deadlines() : thread_([this] { run(); }) {}

answer_deadlines::~answer_deadlines() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void answer_deadlines::watch(base::steady::time_point when, std::weak_ptr<pending_answer> answer) {
  bool earliest = false;
  {
    std::lock_guard lock(mutex_);
    earliest = due_.empty() || when < due_.top().when;
    due_.push({when, std::move(answer)});
  }
  // With one timeout for every request a new deadline is almost never the earliest, so the
  // thread is rarely woken for nothing.
  if (earliest) wake_.notify_one();
}

void answer_deadlines::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (due_.empty()) {
      wake_.wait(lock);
      continue;
    }
    if (const auto next = due_.top().when; base::steady::now() < next) {
      wake_.wait_until(lock, next);
      continue;
    }
    std::weak_ptr<pending_answer> expired = due_.top().answer;
    due_.pop();
    lock.unlock();
    if (auto answer = expired.lock()) answer->expire();
    lock.lock();
  }
}

}  // namespace clicktrail::ingest
