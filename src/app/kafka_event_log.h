#pragma once
// Ingest's event log on Kafka: the events stream goes to kafka.topic with the `ct-schema`
// header, the bad stream to kafka.bad_topic. Owns the producer.

#include <memory>
#include <string>

#include "ingest/event_log.h"
#include "kafka/producer.h"

namespace clicktrail::app {

class kafka_event_log : public ingest::event_log {
 public:
  kafka_event_log(std::unique_ptr<kafka::producer> producer, std::string topic, std::string bad_topic);

  void append(ingest::stream to, std::string_view key, std::string_view value,
              ingest::durable_fn done) override;
  bool ready(std::chrono::milliseconds timeout) override {
    return producer_ && producer_->reachable(timeout);
  }
  // Closes the producer: what it has not delivered fails, through its callbacks, now.
  void settle() override;

  kafka::producer& producer() { return *producer_; }  // until settle()
  // Looks both topics up now rather than at the first request (see kafka::producer::prepare).
  void prepare() {
    producer_->prepare(topic_);
    producer_->prepare(bad_topic_);
  }

 private:
  std::unique_ptr<kafka::producer> producer_;
  std::string topic_;
  std::string bad_topic_;
};

}  // namespace clicktrail::app
