#pragma once
// The HTTP server's metrics, declared in one place.

#include <cstdio>
#include <string_view>

#include "base/metrics.h"

namespace clicktrail::http {

class probe {
 public:
  explicit probe(base::registry& r)
      : in_flight_(r.add_gauge("clicktrail_http_requests_in_flight", "Requests read and not yet answered.")),
        connections_(r.add_gauge("clicktrail_http_connections", "Open client connections.")),
        connections_refused_(r.add_counter("clicktrail_http_connections_refused_total",
                                           "Connections closed at once, over http.max_connections.")),
        requests_(r, "clicktrail_http_requests_total", "Requests answered, by route and status.",
                  {"route", "status"}),
        duration_(r.add_histogram("clicktrail_http_request_duration_seconds",
                                  "Time from a request's last byte read to its answer's last byte written.",
                                  base::latency_buckets())) {}

  base::gauge& in_flight() noexcept { return in_flight_; }
  base::gauge& connections() noexcept { return connections_; }
  base::counter& connections_refused() noexcept { return connections_refused_; }
  base::histogram& duration() noexcept { return duration_; }

  // The counter of answered requests of a route and status.
  base::counter& answers(std::string_view route, unsigned status) {
    char digits[16];
    const auto n = std::snprintf(digits, sizeof digits, "%u", status);
    return requests_.at({route, std::string_view(digits, static_cast<size_t>(n))});
  }

 private:
  base::gauge& in_flight_;
  base::gauge& connections_;
  base::counter& connections_refused_;
  base::counter_family requests_;
  base::histogram& duration_;
};

}  // namespace clicktrail::http
