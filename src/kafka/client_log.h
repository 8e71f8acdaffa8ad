#pragma once
// The "kafka" module logger and librdkafka's log callback, shared by the producer and the
// consumer so both speak in the same lines.

#include <librdkafka/rdkafka.h>
#include <spdlog/logger.h>

namespace clicktrail::kafka {

spdlog::logger& kafka_log();

// For rd_kafka_conf_set_log_cb(). Runs on librdkafka's internal threads; must not call back into
// librdkafka beyond rd_kafka_name().
void log_from_librdkafka(const rd_kafka_t* rk, int level, const char* facility, const char* message);

}  // namespace clicktrail::kafka
