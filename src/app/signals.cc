#include "app/signals.h"

#include <pthread.h>
#include <signal.h>

namespace clicktrail::app {
namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void block_stop_signals() {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int wait_for_stop_signal() {
  const sigset_t set = stop_signals();
  int received = 0;
  while (sigwait(&set, &received) != 0) {
  }
  return received;
}

int wait_for_stop_signal(std::chrono::milliseconds timeout) {
  const sigset_t set = stop_signals();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const timespec wait{static_cast<time_t>(seconds.count()),
                      static_cast<long>(std::chrono::nanoseconds(timeout - seconds).count())};
  const int received = sigtimedwait(&set, nullptr, &wait);
  return received > 0 ? received : 0;
}

}  // namespace clicktrail::app
