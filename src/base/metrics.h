#pragma once
// A metrics registry with Prometheus text exposition (format 0.0.4), served at /metrics.
//
// Components register their metrics once at construction (each module declares its names in one
// `*_probe.h`) and keep the returned references; updates are lock-free atomics on the hot path.
// The registry owns every metric and outlives the components that hold references into it.
// Registration and expose() take a mutex; they may be called from any thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clicktrail::base {

using labels = std::vector<std::pair<std::string, std::string>>;

class counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class gauge {
 public:
  void set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t d) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }
  std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Cumulative histogram over fixed upper bounds (in the metric's unit, e.g. seconds).
class histogram {
 public:
  explicit histogram(std::vector<double> upper_bounds);
  void observe(double v) noexcept;

  const std::vector<double>& upper_bounds() const noexcept { return bounds_; }
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
  // Observations ≤ upper_bounds()[i], cumulative as Prometheus expects.
  std::uint64_t cumulative(size_t i) const noexcept;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bucket, not cumulative
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Bounds for latencies in seconds, from 0.5 ms to 10 s.
std::vector<double> latency_buckets();

class registry;

// Counters of one name told apart by labels whose values are only known at run time (a route
// and status code, a rejection reason). Each combination's counter is registered on first use,
// then found in a small map; meant for a few lookups per request, not per event.
class counter_family {
 public:
  counter_family(registry& r, std::string name, std::string help, std::vector<std::string> label_names);
  // One value per label name, in the same order.
  counter& at(std::initializer_list<std::string_view> values);
  void inc(std::initializer_list<std::string_view> values, std::uint64_t n = 1) { at(values).inc(n); }

 private:
  registry& registry_;
  std::string name_, help_;
  std::vector<std::string> label_names_;
  std::mutex mutex_;
  std::map<std::string, counter*, std::less<>> counters_;  // key: the values joined by '\x1f'
};

class registry {
 public:
  registry();
  ~registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  // Registering the same name and labels again returns the same metric. A name reused with
  // another type, or a malformed name, is a programming error and throws std::logic_error.
  counter& add_counter(std::string_view name, std::string_view help, const labels& l = {});
  gauge& add_gauge(std::string_view name, std::string_view help, const labels& l = {});
  histogram& add_histogram(std::string_view name, std::string_view help, std::vector<double> upper_bounds,
                           const labels& l = {});
  // A gauge read when /metrics is scraped, e.g. a queue length owned by a library.
  // `read` must stay valid and thread-safe for the registry's lifetime.
  void add_gauge_fn(std::string_view name, std::string_view help, const labels& l,
                    std::function<double()> read);

  // Every metric in the Prometheus text format, families sorted by name.
  std::string expose() const;

 private:
  struct family;
  family& family_for(std::string_view name, std::string_view help, int kind);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<family>, std::less<>> families_;
};

}  // namespace clicktrail::base
