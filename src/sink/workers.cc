#include "sink/workers.h"

#include <utility>

namespace clicktrail::sink {

workers::workers(std::size_t count) {
  try {
    for (std::size_t worker = 1; worker < count; ++worker)
      helpers_.emplace_back([this, worker] { serve(worker); });
  } catch (...) {  // a thread that could not start: end those that did before giving up
    end_helpers();
    throw;
  }
}

workers::~workers() {
  end_helpers();
}

void workers::end_helpers() noexcept {
  {
    std::lock_guard lock(mutex_);
    ending_ = true;
  }
  wake_.notify_all();
  for (auto& t : helpers_) t.join();
  helpers_.clear();
}

void workers::run(std::size_t tasks, const task& work) {
  if (tasks == 0) return;
  {
    std::lock_guard lock(mutex_);
    work_ = &work;
    tasks_ = tasks;
    next_task_ = 0;
    finished_ = 0;
    failure_ = nullptr;
    ++round_;
  }
  // As many helpers as there are tasks besides the one this thread takes; a helper that wakes
  // after the tasks are gone finds none and sleeps again, and run() never waits for it.
  for (std::size_t n = std::min(helpers_.size(), tasks - 1); n > 0; --n) wake_.notify_one();
  take_tasks(0);
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return finished_ == tasks_; });
  work_ = nullptr;
  if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
}

void workers::serve(std::size_t worker) {
  std::size_t served = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return ending_ || round_ != served; });
      if (ending_) return;
      served = round_;
    }
    take_tasks(worker);
  }
}

void workers::take_tasks(std::size_t worker) {
  for (;;) {
    const task* work = nullptr;
    std::size_t t = 0;
    {
      std::lock_guard lock(mutex_);
      if (next_task_ == tasks_) return;
      t = next_task_++;
      work = work_;  // stays valid: run() waits for this task to finish
    }
    try {
      (*work)(t, worker);
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!failure_) failure_ = std::current_exception();
    }
    std::lock_guard lock(mutex_);
    if (++finished_ == tasks_) idle_.notify_one();
  }
}

}  // namespace clicktrail::sink
