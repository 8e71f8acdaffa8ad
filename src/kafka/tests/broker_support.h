#pragma once
// The broker the Kafka tests run against: `./dev services start`'s, named by KAFKA_BOOTSTRAP, and
// fresh names for what each test creates on it.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>

namespace clicktrail::kafka::testing {

inline std::string bootstrap() {
  const char* b = std::getenv("KAFKA_BOOTSTRAP");  // NOLINT(concurrency-mt-unsafe): read before threads
  return b ? b : "";
}

// GTEST_SKIP returns from the function it is written in, hence a macro.
#define REQUIRE_BROKER()                                                        \
  if (::clicktrail::kafka::testing::bootstrap().empty())                        \
  GTEST_SKIP() << "KAFKA_BOOTSTRAP is not set: run `./dev services start` and " \
                  "`eval \"$(./dev services env)\"` (./dev test does both)"

inline std::string fresh_name(std::string_view what) {
  return fmt::format("clicktrail-test-{}-{}", what,
                     std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace clicktrail::kafka::testing
