#pragma once
// /readyz from memory. A readiness check may wait on the network (a metadata request to a
// broker that accepts connections and never answers waits its whole timeout), and /readyz is
// served on the threads that serve events: a burst of probes would hold them all. The watch runs
// the check on a thread of its own, one after another with `interval` between them, and /readyz
// reads the last answer, in microseconds, whatever the check is waiting on.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "http/ops_routes.h"

namespace clicktrail::http {

class readiness_watch {
 public:
  // Starts checking at once; until the first check answers, not ready ("starting: …").
  readiness_watch(readiness check, std::chrono::milliseconds interval);
  ~readiness_watch();  // stops after the check under way, if any
  readiness_watch(const readiness_watch&) = delete;
  readiness_watch& operator=(const readiness_watch&) = delete;

  // The last check's answer. Any thread.
  std::optional<std::string> not_ready() const;

 private:
  void run();

  readiness check_;
  std::chrono::milliseconds interval_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::optional<std::string> last_ = "starting: the first readiness check has not answered yet";
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace clicktrail::http
