#pragma once
// Helpers for the producer tests (the broker's in broker_support.h): a loopback port nobody
// listens on, the producer's options and construction, delivery callbacks collected by record,
// and record values a text-only check would miss.

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "kafka/producer.h"
#include "kafka/tests/broker_support.h"

namespace clicktrail::kafka::testing {

using namespace std::chrono_literals;

// A loopback port nobody listens on: bound once by the kernel's choice, then released.
inline std::string unreachable_address() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  EXPECT_TRUE(bound) << "could not pick a free loopback port";
  return fmt::format("127.0.0.1:{}", ntohs(addr.sin_port));
}

// Collects delivery callbacks by record index; waits for a number of them.
class deliveries {
 public:
  explicit deliveries(size_t n) : calls_(n), results_(n) {}

  delivery_fn for_record(size_t i) {
    return [this, i](base::status s) {
      const std::lock_guard lock(mutex_);
      if (++calls_[i] == 1) results_[i] = std::move(s);
      ++total_;
      changed_.notify_all();
    };
  }

  bool wait_all(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return total_ >= calls_.size(); });
  }

  // Every record's callback ran exactly once, and each result has the given outcome (or ok).
  void expect_each_once(std::optional<base::outcome> failure = std::nullopt) {
    const std::lock_guard lock(mutex_);
    for (size_t i = 0; i < calls_.size(); ++i) {
      ASSERT_EQ(calls_[i], 1) << "record " << i;
      if (!failure) {
        ASSERT_TRUE(results_[i].ok()) << "record " << i << ": " << results_[i].err().message;
      } else {
        ASSERT_FALSE(results_[i].ok()) << "record " << i;
        ASSERT_EQ(results_[i].err().what, *failure) << "record " << i << ": " << results_[i].err().message;
      }
    }
  }

  base::status result(size_t i) {
    const std::lock_guard lock(mutex_);
    return results_[i];
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<int> calls_;
  std::vector<base::status> results_;
  size_t total_ = 0;
};

// GCC's -Wmissing-field-initializers flags designated initializers that skip a member.
inline producer_options options_for(std::string brokers, std::chrono::milliseconds delivery_timeout = 5s) {
  producer_options o;
  o.brokers = std::move(brokers);
  o.delivery_timeout = delivery_timeout;
  return o;
}

inline std::unique_ptr<producer> make(base::registry& metrics, const producer_options& o) {
  auto p = producer::create(o, metrics);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.err().message);
  return p.ok() ? std::move(p).value() : nullptr;
}

// 300 bytes a text-only check would miss: NUL, high bytes, the index.
inline std::string awkward_value(size_t i) {
  std::string v = fmt::format("{{\"i\":{}}}", i);
  v.push_back('\0');
  v.push_back(static_cast<char>(0xff));
  v.resize(300, static_cast<char>('a' + i % 26));
  return v;
}

}  // namespace clicktrail::kafka::testing
