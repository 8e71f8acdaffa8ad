#pragma once
// Ingest's event log on Kafka: the events stream goes to kafka.topic with the `ct-schema`
// header, the bad stream to kafka.bad_topic. Owns the producer.

#include <atomic>
#include <memory>
#include <string>

#include "ingest/event_log.h"
#include "kafka/producer.h"

namespace clicktrail::app {

class kafka_event_log : public ingest::event_log {
 public:
  kafka_event_log(std::unique_ptr<kafka::producer> producer, std::string topic, std::string bad_topic);

  void append(ingest::stream to, std::span<const ingest::record_ref> records,
              ingest::durable_fn done) override;
  // Any thread, also while settle() runs (a readiness check in the background).
  bool ready(std::chrono::milliseconds timeout) override;
  // Closes the producer: what it has not delivered fails, through its callbacks, now. It waits
  // for a ready() or serve_reports() under way to return.
  void settle() override;

  // The producer's delivery reports, for the event loop that serves them (see
  // kafka::producer_options::reports_on_event_loop): any thread, also while settle() runs, after
  // which it does nothing.
  int report_descriptor() const { return producer_->report_descriptor(); }
  void serve_reports();

  kafka::producer& producer() { return *producer_; }  // until settle()
  // Looks both topics up now rather than at the first request (see kafka::producer::prepare).
  void prepare() {
    producer_->prepare(topic_);
    producer_->prepare(bad_topic_);
  }

 private:
  std::unique_ptr<kafka::producer> producer_;
  // ready() and serve_reports() calls under way, and whether settle() began: a call counts itself
  // in, then looks; settle() says so, then waits for the count to fall to 0 (both sequentially
  // consistent).
  std::atomic<int> using_{0};
  std::atomic<bool> settling_{false};
  std::string topic_;
  std::string bad_topic_;
};

}  // namespace clicktrail::app
