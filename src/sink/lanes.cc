#include "sink/lanes.h"

#include <utility>

namespace clicktrail::sink {

lanes::lanes(std::size_t count) {
  for (std::size_t lane = 1; lane < count; ++lane) helpers_.emplace_back([this, lane] { serve(lane); });
}

lanes::~lanes() {
  {
    std::lock_guard lock(mutex_);
    ending_ = true;
  }
  wake_.notify_all();
  for (auto& t : helpers_) t.join();
}

void lanes::run(std::size_t tasks, const task& work) {
  if (tasks == 0) return;
  if (helpers_.empty() || tasks == 1) {  // nothing to share: no wake-ups
    for (std::size_t t = 0; t < tasks; ++t) work(t, 0);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    work_ = &work;
    tasks_ = tasks;
    next_task_ = 0;
    helpers_busy_ = helpers_.size();
    failure_ = nullptr;
    ++round_;
  }
  wake_.notify_all();
  take_tasks(0);
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return helpers_busy_ == 0; });
  work_ = nullptr;
  if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
}

void lanes::serve(std::size_t lane) {
  std::size_t served = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return ending_ || round_ != served; });
      if (ending_) return;
      served = round_;
    }
    take_tasks(lane);
    std::lock_guard lock(mutex_);
    if (--helpers_busy_ == 0) idle_.notify_one();
  }
}

void lanes::take_tasks(std::size_t lane) {
  for (;;) {
    std::size_t t = 0;
    {
      std::lock_guard lock(mutex_);
      if (next_task_ == tasks_) return;
      t = next_task_++;
    }
    try {
      (*work_)(t, lane);
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!failure_) failure_ = std::current_exception();
    }
  }
}

}  // namespace clicktrail::sink
