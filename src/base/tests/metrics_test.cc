#include "base/metrics.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace clicktrail::base {
namespace {

TEST(metrics, counter_and_gauge_expose_in_prometheus_text) {
  registry r;
  r.add_counter("ct_requests_total", "Requests answered.", {{"route", "/v1/events"}, {"status", "204"}})
      .inc(3);
  r.add_gauge("ct_in_flight", "Requests in flight.").set(-2);
  EXPECT_EQ(r.expose(),
            "# HELP ct_in_flight Requests in flight.\n"
            "# TYPE ct_in_flight gauge\n"
            "ct_in_flight -2\n"
            "# HELP ct_requests_total Requests answered.\n"
            "# TYPE ct_requests_total counter\n"
            "ct_requests_total{route=\"/v1/events\",status=\"204\"} 3\n");
}

TEST(metrics, same_name_and_labels_return_the_same_metric) {
  registry r;
  auto& a = r.add_counter("ct_x_total", "x", {{"k", "v"}});
  auto& b = r.add_counter("ct_x_total", "x", {{"k", "v"}});
  auto& c = r.add_counter("ct_x_total", "x", {{"k", "w"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
}

TEST(metrics, a_name_reused_with_another_type_or_malformed_is_refused) {
  registry r;
  r.add_counter("ct_x_total", "x");
  EXPECT_THROW(r.add_gauge("ct_x_total", "x"), std::logic_error);
  EXPECT_THROW(r.add_counter("9starts_with_digit", "x"), std::logic_error);
  EXPECT_THROW(r.add_counter("has-dash", "x"), std::logic_error);
}

TEST(metrics, label_values_and_help_are_escaped) {
  registry r;
  r.add_counter("ct_bad_total", "line one\nline \\two", {{"reason", "a \"quoted\"\nvalue\\"}}).inc();
  EXPECT_EQ(r.expose(),
            "# HELP ct_bad_total line one\\nline \\\\two\n"
            "# TYPE ct_bad_total counter\n"
            "ct_bad_total{reason=\"a \\\"quoted\\\"\\nvalue\\\\\"} 1\n");
}

TEST(metrics, histogram_buckets_are_cumulative_with_sum_and_count) {
  registry r;
  auto& h = r.add_histogram("ct_latency_seconds", "Latency.", {0.1, 1}, {{"op", "put"}});
  h.observe(0.05);
  h.observe(0.1);  // on a bound: counts in that bucket (le means ≤)
  h.observe(0.5);
  h.observe(3);
  EXPECT_EQ(r.expose(),
            "# HELP ct_latency_seconds Latency.\n"
            "# TYPE ct_latency_seconds histogram\n"
            "ct_latency_seconds_bucket{op=\"put\",le=\"0.1\"} 2\n"
            "ct_latency_seconds_bucket{op=\"put\",le=\"1\"} 3\n"
            "ct_latency_seconds_bucket{op=\"put\",le=\"+Inf\"} 4\n"
            "ct_latency_seconds_sum{op=\"put\"} 3.65\n"
            "ct_latency_seconds_count{op=\"put\"} 4\n");
}

TEST(metrics, gauge_fn_is_read_at_exposition) {
  registry r;
  double depth = 1;
  r.add_gauge_fn("ct_queue_depth", "Queue depth.", {}, [&] { return depth; });
  depth = 42;
  EXPECT_NE(r.expose().find("ct_queue_depth 42\n"), std::string::npos);
}

TEST(metrics, concurrent_increments_are_not_lost) {
  registry r;
  auto& c = r.add_counter("ct_n_total", "n");
  auto& h = r.add_histogram("ct_h", "h", latency_buckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) {
        c.inc();
        h.observe(0.002);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 400000u);
  EXPECT_EQ(h.count(), 400000u);
  EXPECT_NEAR(h.sum(), 800.0, 1e-6);
}

}  // namespace
}  // namespace clicktrail::base

namespace clicktrail::base {
namespace {

TEST(metrics, counter_family_adds_one_counter_per_label_value) {
  registry r;
  counter_family rejected(r, "ct_rejected_total", "Rejected events.", {"site", "reason"});
  rejected.inc({"demo", "invalid_json"});
  rejected.inc({"demo", "invalid_json"}, 2);
  rejected.inc({"demo", "too_deep"});
  EXPECT_EQ(&rejected.at({"demo", "too_deep"}),
            &r.add_counter("ct_rejected_total", "", {{"site", "demo"}, {"reason", "too_deep"}}));
  EXPECT_THROW(rejected.at({"demo"}), std::logic_error);
  const auto text = r.expose();
  EXPECT_NE(text.find("ct_rejected_total{site=\"demo\",reason=\"invalid_json\"} 3\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("ct_rejected_total{site=\"demo\",reason=\"too_deep\"} 1\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace clicktrail::base
