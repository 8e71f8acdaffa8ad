#include "app/kafka_source.h"

#include <fmt/format.h>

#include "app/server_options.h"
#include "app/sink_lanes.h"

namespace clicktrail::app {
namespace {

class kafka_record final : public sink::source_record {
 public:
  explicit kafka_record(std::unique_ptr<kafka::record> r) : r_(std::move(r)) {}
  std::int32_t partition() const override { return r_->partition(); }
  std::int64_t offset() const override { return r_->offset(); }
  std::optional<std::string_view> value() const override { return r_->value(); }
  std::int64_t timestamp_ms() const override { return r_->timestamp_ms(); }
  void prefetch() const override { r_->prefetch(); }

 private:
  std::unique_ptr<kafka::record> r_;
};

}  // namespace

kafka_source::kafka_source(kafka::consumer_options options, base::registry& metrics)
    : options_(std::move(options)), metrics_(metrics) {}

base::status kafka_source::attach(sink::assignment_listener& listener) {
  listener_ = &listener;
  auto c = kafka::consumer::create(options_, *this, metrics_);
  if (!c) return std::move(c).err();
  consumer_ = std::move(c).value();
  return {};
}

base::result<std::vector<std::unique_ptr<sink::source_record>>> kafka_source::poll(
    std::size_t max, std::chrono::milliseconds timeout) {
  auto records = consumer_->poll(max, timeout);
  if (!records) return std::move(records).err();
  std::vector<std::unique_ptr<sink::source_record>> out;
  out.reserve(records->size());
  for (auto& r : *records) out.push_back(std::make_unique<kafka_record>(std::move(r)));
  return out;
}

base::status kafka_source::commit(std::int32_t partition, std::int64_t offset) {
  return consumer_->commit(partition, offset);
}

base::result<std::optional<std::int64_t>> kafka_source::committed(std::int32_t partition) {
  auto found = consumer_->committed({partition}, std::chrono::seconds(30));
  if (!found) return std::move(found).err();
  const auto it = found->find(partition);
  return it == found->end() ? std::nullopt : std::optional(it->second);
}

std::string kafka_source::how_to_commit(std::int32_t partition, std::int64_t offset) const {
  return fmt::format(
      "commit it for the sink's group: kafka-consumer-groups.sh --bootstrap-server {} --group {} --topic "
      "{}:{} "
      "--reset-offsets --to-offset {} --execute",
      options_.brokers, options_.group_id, options_.topic, partition, offset);
}

base::result<std::map<std::int32_t, std::int64_t>> kafka_source::end_offsets(
    std::chrono::milliseconds timeout) {
  return consumer_->end_offsets(timeout);
}

std::map<std::int32_t, std::int64_t> kafka_source::on_assigned(
    const std::map<std::int32_t, std::optional<std::int64_t>>& committed) {
  return listener_->on_assigned(committed);
}

void kafka_source::on_revoked(const std::vector<std::int32_t>& partitions) {
  listener_->on_revoked(partitions);
}

base::status add_kafka_lanes(sink_lanes& lanes, const config::config& c, store::object_store& store,
                             base::registry& metrics, bool accept_offset_reset,
                             std::shared_ptr<const enrich::sink_rules> enrichment) {
  for (const auto& [topic, input] : {std::pair{c.kafka->topic, sink::input_kind::events},
                                     std::pair{c.kafka->bad_topic, sink::input_kind::rejected}}) {
    auto source = std::make_unique<kafka_source>(kafka_consumer_options(c, topic), metrics);
    kafka_source& raw = *source;
    auto options = sink::options_from(c.sink);
    options.input = input;
    options.accept_offset_reset = accept_offset_reset;
    if (input == sink::input_kind::events) options.enrichment = enrichment;
    auto s = lanes.add(
        std::move(source), [&raw](sink::sink& listener) { return raw.attach(listener); },
        [&raw] { raw.close(); }, store, options, metrics);
    if (!s) return base::error::fail(fmt::format("cannot join the consumer group: {}", s.err().message));
  }
  return {};
}

}  // namespace clicktrail::app
