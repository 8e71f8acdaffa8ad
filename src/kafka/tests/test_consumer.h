#pragma once
// A minimal librdkafka consumer for the tests: reads a topic back from the beginning, so the
// tests check what the broker stored, not what the producer believes it sent.

#include <librdkafka/rdkafka.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kafka/handles.h"

namespace clicktrail::kafka::testing {

struct consumed {
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  std::int64_t timestamp_ms = 0;
  std::int32_t partition = -1;
};

// Reads from `topic` in a fresh consumer group until `want` records have arrived or `timeout`
// has passed; returns what arrived.
inline std::vector<consumed> consume(const std::string& bootstrap, const std::string& topic, size_t want,
                                     std::chrono::milliseconds timeout) {
  conf_ptr conf(rd_kafka_conf_new());
  std::array<char, 512> why{};
  const std::pair<const char*, std::string> props[] = {
      {"bootstrap.servers", bootstrap},
      {"group.id", "clicktrail-test-" + topic},
      {"auto.offset.reset", "earliest"},
      {"enable.auto.commit", "false"},
  };
  for (const auto& [name, value] : props) {
    if (rd_kafka_conf_set(conf.get(), name, value.c_str(), why.data(), why.size()) != RD_KAFKA_CONF_OK)
      return {};
  }
  client_ptr rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), why.data(), why.size()));
  if (!rk) return {};
  (void)conf.release();
  rd_kafka_poll_set_consumer(rk.get());
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk.get(), topics);
  rd_kafka_topic_partition_list_destroy(topics);

  std::vector<consumed> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 200);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      consumed c;
      c.key.assign(static_cast<const char*>(m->key), m->key_len);
      c.value.assign(static_cast<const char*>(m->payload), m->len);
      c.timestamp_ms = rd_kafka_message_timestamp(m, nullptr);
      c.partition = m->partition;
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0;
             rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
          c.headers.emplace_back(name, std::string(static_cast<const char*>(value), size));
        }
      }
      out.push_back(std::move(c));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk.get());
  return out;
}

}  // namespace clicktrail::kafka::testing
