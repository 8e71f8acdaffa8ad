#include "http/readiness_watch.h"

#include <exception>
#include <utility>

namespace clicktrail::http {

readiness_watch::readiness_watch(readiness check, std::chrono::milliseconds interval)
    : check_(std::move(check)), interval_(interval), thread_([this] { run(); }) {}

readiness_watch::~readiness_watch() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::optional<std::string> readiness_watch::not_ready() const {
  const std::lock_guard lock(mutex_);
  return last_;
}

void readiness_watch::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    std::optional<std::string> answer;
    try {
      answer = check_ ? check_() : std::nullopt;
    } catch (const std::exception& e) {
      answer = std::string("the readiness check failed: ") + e.what();
    }
    lock.lock();
    last_ = std::move(answer);
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace clicktrail::http
