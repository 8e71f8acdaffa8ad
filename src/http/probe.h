#pragma once
// The HTTP server's metrics, declared in one place.

#include <array>
#include <atomic>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/metrics.h"

namespace clicktrail::http {

class probe {
 public:
  explicit probe(base::registry& r)
      : registry_(r),
        in_flight_(r.add_gauge("clicktrail_http_requests_in_flight", "Requests read and not yet answered.")),
        connections_(r.add_gauge("clicktrail_http_connections", "Open client connections.")),
        duration_(r.add_histogram("clicktrail_http_request_duration_seconds",
                                  "Time from a request's last byte read to its answer's last byte written.",
                                  base::latency_buckets())) {}

  base::gauge& in_flight() noexcept { return in_flight_; }
  base::gauge& connections() noexcept { return connections_; }
  base::histogram& duration() noexcept { return duration_; }

  // Counts one answered request. Counters are created on first use of a (route, status) pair,
  // then found without touching the registry's lock.
  void answered(std::string_view route, unsigned status) {
    const std::string key = std::string(route) + ' ' + std::to_string(status);
    std::lock_guard lock(mutex_);
    auto it = requests_.find(key);
    if (it == requests_.end()) {
      auto& c = registry_.add_counter("clicktrail_http_requests_total", "Requests answered, by route and status.",
                                      {{"route", std::string(route)}, {"status", std::to_string(status)}});
      it = requests_.emplace(key, &c).first;
    }
    it->second->inc();
  }

 private:
  base::registry& registry_;
  base::gauge& in_flight_;
  base::gauge& connections_;
  base::histogram& duration_;
  std::mutex mutex_;
  std::unordered_map<std::string, base::counter*> requests_;
};

}  // namespace clicktrail::http
