// /readyz answers from the last check, however long the check under way takes.

#include "http/readiness_watch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

namespace clicktrail::http {
namespace {

using namespace std::chrono_literals;

// Polls until `f` holds or 5 s pass.
template <class F>
bool eventually(F f) {
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (!f()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(readiness_watch, answers_from_memory_while_a_check_hangs) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> checks = 0;
  readiness_watch watch(
      [&]() -> std::optional<std::string> {
        if (++checks == 2) released.wait();  // the second check hangs until the test lets it go
        return checks == 1 ? std::nullopt : std::optional<std::string>("the broker does not answer");
      },
      1ms);
  ASSERT_TRUE(eventually([&] { return checks >= 2; }));
  // The first answer stands while the second check hangs, and reading it does not wait.
  for (int i = 0; i < 1000; ++i) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(watch.not_ready(), std::nullopt);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
  }
  release.set_value();
  EXPECT_TRUE(eventually([&] { return watch.not_ready() == "the broker does not answer"; }));
}

TEST(readiness_watch, not_ready_until_the_first_check_answers_and_a_throwing_check_is_not_ready) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  readiness_watch slow(
      [released]() -> std::optional<std::string> {
        released.wait();
        return std::nullopt;
      },
      1ms);
  EXPECT_NE(slow.not_ready(), std::nullopt);
  release.set_value();
  EXPECT_TRUE(eventually([&] { return slow.not_ready() == std::nullopt; }));

  readiness_watch throwing([]() -> std::optional<std::string> { throw std::runtime_error("boom"); }, 1ms);
  EXPECT_TRUE(eventually([&] {
    const auto why = throwing.not_ready();
    return why && why->find("boom") != std::string::npos;
  }));
}

TEST(readiness_watch, stops_promptly_between_checks) {
  const auto start = std::chrono::steady_clock::now();
  {
    readiness_watch watch([]() -> std::optional<std::string> { return std::nullopt; }, 1h);
    EXPECT_TRUE(eventually([&] { return watch.not_ready() == std::nullopt; }));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace clicktrail::http
