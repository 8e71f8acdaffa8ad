#include "app/kafka_event_log.h"

#include <thread>

#include "event/event.h"

namespace clicktrail::app {
namespace {

const std::vector<kafka::header>& event_headers() {
  static const std::vector<kafka::header> headers{{"ct-schema", std::to_string(event::schema_version)}};
  return headers;
}

}  // namespace

kafka_event_log::kafka_event_log(std::unique_ptr<kafka::producer> producer, std::string topic,
                                 std::string bad_topic)
    : producer_(std::move(producer)), topic_(std::move(topic)), bad_topic_(std::move(bad_topic)) {}

void kafka_event_log::append(ingest::stream to, std::span<const ingest::record_ref> records,
                             ingest::durable_fn done) {
  static const std::vector<kafka::header> none;
  if (!producer_) return done(base::error::retry("the collector is shutting down"));
  const bool events = to == ingest::stream::events;
  producer_->produce(events ? topic_ : bad_topic_, records, events ? event_headers() : none, std::move(done));
}

bool kafka_event_log::ready(std::chrono::milliseconds timeout) {
  ++using_;
  const bool ok = !settling_ && producer_->reachable(timeout);
  --using_;
  return ok;
}

void kafka_event_log::serve_reports() {
  ++using_;
  if (!settling_) producer_->serve_reports();
  --using_;
}

void kafka_event_log::settle() {
  settling_ = true;
  while (using_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  producer_.reset();
}

}  // namespace clicktrail::app
