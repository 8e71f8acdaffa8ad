#include "kafka/client_log.h"

#include "base/log.h"

namespace clicktrail::kafka {

spdlog::logger& kafka_log() {
  return base::logger_for("kafka");
}

void log_from_librdkafka(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  // librdkafka's levels are syslog's: 0 emerg … 3 err, 4 warning, 5 notice, 6 info, 7 debug.
  const auto lvl = level <= 2   ? spdlog::level::critical
                   : level == 3 ? spdlog::level::err
                   : level == 4 ? spdlog::level::warn
                   : level <= 6 ? spdlog::level::info
                                : spdlog::level::debug;
  kafka_log().log(lvl, "librdkafka: {} facility={} client={}", message, facility, rd_kafka_name(rk));
}

}  // namespace clicktrail::kafka
