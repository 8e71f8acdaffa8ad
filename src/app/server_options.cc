#include "app/server_options.h"

namespace clicktrail::app {

http::server_options server_options_from(const config::config& c) {
  http::server_options o;
  o.host = c.http.listen.host;
  o.port = c.http.listen.port;
  o.threads = c.http.threads;
  o.max_body_bytes = static_cast<std::uint64_t>(c.ingest.max_body);
  o.read_timeout = c.http.read_timeout;
  o.idle_timeout = c.http.idle_timeout;
  o.max_connections = c.http.max_connections;
  return o;
}

http::server_options sink_server_options_from(const config::config& c) {
  http::server_options o = server_options_from(c);
  o.host = c.sink.listen->host;
  o.port = c.sink.listen->port;
  o.threads = 1;
  o.max_body_bytes = 0;  // GETs only
  return o;
}

kafka::consumer_options kafka_consumer_options(const config::config& c, const std::string& topic) {
  kafka::consumer_options o;
  o.brokers = c.kafka->brokers;
  o.group_id = c.sink.group_id;
  o.topic = topic;
  o.extra = c.kafka->consumer;
  // Several workers need several partitions in each batch (kafka/consumer.h, poll()); the
  // rejected input's sink has one.
  if (c.sink.threads > 1 && topic == c.kafka->topic) o.read_ahead_bytes = 32LL << 20;
  return o;
}

kafka::producer_options producer_options_from(const config::config& c) {
  kafka::producer_options o;
  o.brokers = c.kafka->brokers;
  o.delivery_timeout = c.ingest.produce_timeout;
  o.extra = c.kafka->producer;
  return o;
}

}  // namespace clicktrail::app
