#pragma once
// A consumed record over its librdkafka message, without copying key or value. Created on the
// consumer's owner thread; may be read and destroyed on any one thread after that.

#include <librdkafka/rdkafka.h>

#include <memory>
#include <utility>

#include "kafka/consumer.h"
#include "kafka/handles.h"

namespace clicktrail::kafka {

// librdkafka's handle, shared by the consumer and every record it handed out: a message holds
// references into its client, so rd_kafka_destroy() runs only when the last of them goes, even
// if the owner keeps a record past the consumer.
using client_ref = std::shared_ptr<rd_kafka_t>;

class message_record final : public record {
 public:
  message_record(message_ptr m, client_ref client) : client_(std::move(client)), m_(std::move(m)) {}

  std::int32_t partition() const override { return m_->partition; }
  std::int64_t offset() const override { return m_->offset; }
  std::string_view key() const override {
    return m_->key ? std::string_view(static_cast<const char*>(m_->key), m_->key_len) : std::string_view();
  }
  // librdkafka leaves payload null for a null value and points into the fetch buffer for an
  // empty one.
  std::optional<std::string_view> value() const override {
    if (m_->payload == nullptr) return std::nullopt;
    return std::string_view(static_cast<const char*>(m_->payload), m_->len);
  }
  std::int64_t timestamp_ms() const override { return rd_kafka_message_timestamp(m_.get(), nullptr); }
  // librdkafka allocates each message on its own: the sink's first touch of one was 3% of its
  // time, in cache misses. The struct (72 bytes) may straddle two cache lines, so both are asked
  // for. (Values follow one another in the fetch buffer; the CPU's own prefetcher streams those.)
  void prefetch() const override {
    const auto* at = reinterpret_cast<const char*>(m_.get());  // NOLINT: its bytes
    __builtin_prefetch(at);
    __builtin_prefetch(at + sizeof(rd_kafka_message_t) - 1);
  }

 private:
  client_ref client_;  // declared first: destroyed after the message
  message_ptr m_;
};

}  // namespace clicktrail::kafka
