#pragma once
// The Kafka consumer's metrics, declared in one place. Updated from the consumer's owner thread
// (poll(), commit(), and the rebalance callbacks that poll() runs); all updates are lock-free.
// Several consumers sharing a registry share these series: the gauge moves by deltas.

#include <cstdint>

#include "base/metrics.h"
#include "base/result.h"

namespace clicktrail::kafka {

class consumer_probe {
 public:
  explicit consumer_probe(base::registry& r)
      : records_(r.add_counter("clicktrail_kafka_consumed_records_total",
                               "Records handed to the consumer's owner by poll().")),
        commit_ok_(commits(r, "ok")),
        commit_retry_(commits(r, "retry")),
        commit_fail_(commits(r, "fail")),
        assigns_(rebalances(r, "assign")),
        revokes_(rebalances(r, "revoke")),
        assigned_(r.add_gauge("clicktrail_kafka_consumer_assigned_partitions",
                              "Partitions currently assigned to this process's consumers.")),
        lost_(r.add_counter("clicktrail_kafka_consumer_lost_records_total",
                            "Records deleted from Kafka (retention) before the consumer read them.")),
        read_ahead_dropped_(r.add_counter(
            "clicktrail_kafka_consumer_read_ahead_dropped_records_total",
            "Records read ahead and dropped at a rebalance or a seek: read again, by whoever owns them.")) {}

  consumer_probe(const consumer_probe&) = delete;
  consumer_probe& operator=(const consumer_probe&) = delete;

  void consumed(std::uint64_t n) noexcept { records_.inc(n); }
  void lost(std::uint64_t n) noexcept { lost_.inc(n); }
  void read_ahead_dropped(std::uint64_t n) noexcept { read_ahead_dropped_.inc(n); }

  void committed(const base::status& s) noexcept {
    if (s) {
      commit_ok_.inc();
    } else if (s.err().what == base::outcome::retry) {
      commit_retry_.inc();
    } else {
      commit_fail_.inc();
    }
  }

  void assigned(std::int64_t partitions) noexcept {
    assigns_.inc();
    assigned_.add(partitions);
  }
  // `partitions`: how many this member held (it may hold none, e.g. when an assignment failed).
  void revoked(std::int64_t partitions) noexcept {
    revokes_.inc();
    assigned_.add(-partitions);
  }

 private:
  static base::counter& commits(base::registry& r, const char* outcome) {
    return r.add_counter("clicktrail_kafka_consumer_commits_total",
                         "Offset commits by outcome: ok, retry or fail.", {{"outcome", outcome}});
  }
  static base::counter& rebalances(base::registry& r, const char* event) {
    return r.add_counter("clicktrail_kafka_consumer_rebalances_total",
                         "Rebalance callbacks by event: assign or revoke (eager: every rebalance is both).",
                         {{"event", event}});
  }

  base::counter& records_;
  base::counter& commit_ok_;
  base::counter& commit_retry_;
  base::counter& commit_fail_;
  base::counter& assigns_;
  base::counter& revokes_;
  base::gauge& assigned_;
  base::counter& lost_;
  base::counter& read_ahead_dropped_;
};

}  // namespace clicktrail::kafka
