#pragma once
// The Kafka producer's metrics, declared in one place. Counters and the histogram are updated
// from the producer's poll thread (delivery reports) and from produce() callers (immediate
// errors); all updates are lock-free.

#include <librdkafka/rdkafka.h>

#include <memory>
#include <mutex>

#include "base/metrics.h"
#include "base/result.h"

namespace clicktrail::kafka {

class producer_probe {
 public:
  explicit producer_probe(base::registry& r)
      : ok_(records(r, "ok")),
        retry_(records(r, "retry")),
        fail_(records(r, "fail")),
        latency_(r.add_histogram(
            "clicktrail_kafka_produce_latency_seconds",
            "Time from produce() to the delivery report of its last record, delivered or not.",
            base::latency_buckets())),
        queue_(std::make_shared<queue_source>()) {
    // The registry may outlive the producer: the reader goes through queue_source, which the
    // producer detaches before destroying its client.
    r.add_gauge_fn("clicktrail_kafka_producer_queue_depth",
                   "Records and requests queued in the producer, not yet acknowledged by the brokers.", {},
                   [q = queue_] {
                     std::lock_guard lock(q->mutex);
                     return q->rk ? static_cast<double>(rd_kafka_outq_len(q->rk)) : 0.0;
                   });
  }

  producer_probe(const producer_probe&) = delete;
  producer_probe& operator=(const producer_probe&) = delete;
  ~producer_probe() { watch_queue(nullptr); }

  void watch_queue(rd_kafka_t* rk) {
    std::lock_guard lock(queue_->mutex);
    queue_->rk = rk;
  }

  // `records` records whose outcome is `s`.
  void finished(const base::status& s, std::uint64_t records = 1) noexcept {
    if (s) {
      ok_.inc(records);
    } else if (s.err().what == base::outcome::retry) {
      retry_.inc(records);
    } else {
      fail_.inc(records);
    }
  }

  base::histogram& latency() noexcept { return latency_; }

 private:
  struct queue_source {
    std::mutex mutex;
    rd_kafka_t* rk = nullptr;
  };

  static base::counter& records(base::registry& r, const char* outcome) {
    return r.add_counter("clicktrail_kafka_produced_records_total",
                         "Records whose delivery callback has run, by outcome: ok, retry or fail.",
                         {{"outcome", outcome}});
  }

  base::counter& ok_;
  base::counter& retry_;
  base::counter& fail_;
  base::histogram& latency_;
  std::shared_ptr<queue_source> queue_;
};

}  // namespace clicktrail::kafka
