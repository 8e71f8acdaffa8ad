#pragma once
// Validated config → the options of the components the subcommands assemble.

#include <chrono>

#include "config/config.h"
#include "http/readiness_watch.h"
#include "http/server.h"
#include "kafka/consumer.h"
#include "kafka/producer.h"

namespace clicktrail::app {

http::server_options server_options_from(const config::config& c);
// The sink's small server: operations routes only, on sink.listen (which must be set).
http::server_options sink_server_options_from(const config::config& c);
kafka::producer_options producer_options_from(const config::config& c);  // needs c.kafka
// The sinks' consumer of `topic` in sink.group_id. Needs c.kafka.
kafka::consumer_options kafka_consumer_options(const config::config& c, const std::string& topic);

// /readyz: the event log is checked in the background once a second (http::readiness_watch),
// each check waiting at most two seconds for the broker.
inline constexpr std::chrono::milliseconds readiness_interval{1000};
inline constexpr std::chrono::milliseconds readiness_timeout{2000};

}  // namespace clicktrail::app
