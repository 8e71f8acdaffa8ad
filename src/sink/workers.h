#pragma once
// The threads that write a batch's partitions side by side: the sink's own thread (worker 0) and
// count() - 1 more, started once and kept for the sink's lifetime. run() hands out tasks — one
// partition's records each — to whichever worker is free, and returns when every task has
// returned. One worker runs one task at a time, so per-worker state (the sink's routers, indexed by
// worker) needs no lock; the tasks of one run() must touch disjoint state otherwise.
//
// Why workers and not a pipeline: a partition's records are decoded, routed, encoded and
// compressed by its writer in order, and partitions share nothing until the commit, so the
// whole per-record path runs in parallel with no hand-off per record (docs/sink.md, "Threads").
//
// Thread-safety: run() is called by one thread at a time (the sink's); the destructor joins.

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace clicktrail::sink {

class workers {
 public:
  using task = std::function<void(std::size_t task, std::size_t worker)>;

  explicit workers(std::size_t count);
  ~workers();
  workers(const workers&) = delete;
  workers& operator=(const workers&) = delete;

  std::size_t count() const noexcept { return helpers_.size() + 1; }

  // Calls work(t, worker) once for each t in [0, tasks), on the workers, and waits for all of them.
  // An exception a task throws is rethrown here (the first one), after the others have returned.
  void run(std::size_t tasks, const task& work);

 private:
  void serve(std::size_t worker);
  void end_helpers() noexcept;
  // Takes tasks of the current run until none is left; records an exception instead of throwing.
  void take_tasks(std::size_t worker);

  std::mutex mutex_;
  std::condition_variable wake_;  // a run began, or the destructor wants the helpers to end
  std::condition_variable idle_;  // the last task of a run returned
  const task* work_ = nullptr;
  std::size_t tasks_ = 0;
  std::size_t next_task_ = 0;
  std::size_t finished_ = 0;  // tasks of the current run that have returned
  std::size_t round_ = 0;     // runs begun: a helper looks for tasks once per run
  bool ending_ = false;
  std::exception_ptr failure_;
  std::vector<std::thread> helpers_;
};

}  // namespace clicktrail::sink
