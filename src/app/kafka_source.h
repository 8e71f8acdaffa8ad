#pragma once
// The sink's source on Kafka: a consumer in the sinks' group, its records and assignment
// changes handed to the sink through sink::source and sink::assignment_listener.
//
// Lifetime: construct, then attach() the listener (the sink), which joins the group. Used by the
// sink's thread only.

#include <memory>
#include <string>

#include "config/config.h"
#include "enrich/sink_enricher.h"
#include "kafka/consumer.h"
#include "sink/source.h"
#include "store/object_store.h"

namespace clicktrail::app {

class kafka_source : public sink::source, private kafka::rebalance_listener {
 public:
  kafka_source(kafka::consumer_options options, base::registry& metrics);

  base::status attach(sink::assignment_listener& listener);
  // Leaves the group (the listener hears on_revoked) while the listener still lives; call before
  // destroying the listener.
  void close() { consumer_.reset(); }

  base::result<std::vector<std::unique_ptr<sink::source_record>>> poll(
      std::size_t max, std::chrono::milliseconds timeout) override;
  base::status commit(std::int32_t partition, std::int64_t offset) override;
  base::status seek(std::int32_t partition, std::optional<std::int64_t> offset) override {
    return consumer_->seek(partition, offset);
  }
  base::result<std::optional<std::int64_t>> committed(std::int32_t partition) override;
  std::string how_to_commit(std::int32_t partition, std::int64_t offset) const override;
  base::result<std::map<std::int32_t, std::int64_t>> end_offsets(std::chrono::milliseconds timeout) override;
  std::optional<std::int64_t> last_seen_end_offset(std::int32_t partition) const override {
    return consumer_ ? consumer_->last_seen_end_offset(partition) : std::nullopt;
  }
  const std::string& name() const override { return options_.topic; }
  bool nothing_to_assign() const override { return consumer_ && consumer_->topic_missing(); }

 private:
  std::map<std::int32_t, std::int64_t> on_assigned(
      const std::map<std::int32_t, std::optional<std::int64_t>>& committed) override;
  void on_revoked(const std::vector<std::int32_t>& partitions) override;

  kafka::consumer_options options_;
  base::registry& metrics_;
  sink::assignment_listener* listener_ = nullptr;
  std::unique_ptr<kafka::consumer> consumer_;
};

// The two lanes of a sink on Kafka: the events topic, and the rejected input (kafka.bad_topic).
class sink_lanes;
base::status add_kafka_lanes(sink_lanes& lanes, const config::config& c, store::object_store& store,
                             base::registry& metrics, bool accept_offset_reset,
                             std::shared_ptr<const enrich::sink_rules> enrichment);

}  // namespace clicktrail::app
