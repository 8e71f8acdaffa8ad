#include "kafka/client.h"

#include <fmt/format.h>

#include <array>

#include "kafka/client_log.h"

namespace clicktrail::kafka {

base::result<rd_kafka_t*> new_client(rd_kafka_type_t type, conf_ptr conf, void* opaque,
                                     error_callback on_error, std::string_view who,
                                     std::string_view section) {
  rd_kafka_conf_set_opaque(conf.get(), opaque);
  rd_kafka_conf_set_error_cb(conf.get(), on_error);
  rd_kafka_conf_set_log_cb(conf.get(), &log_from_librdkafka);
  std::array<char, 512> why{};
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), why.data(), why.size());
  if (rk == nullptr) {
    return base::error::fail(fmt::format(
        "{} could not be created: {}; check [kafka] and [{}] against librdkafka's CONFIGURATION.md", who,
        why.data(), section));
  }
  (void)conf.release();  // rd_kafka_new() owns the configuration now
  return rk;
}

std::string fatal_message(rd_kafka_t* rk, std::string_view who, std::string_view act) {
  std::array<char, 512> why{};
  const auto code = rd_kafka_fatal_error(rk, why.data(), why.size());
  return fmt::format("{} hit a fatal error ({}: {}) and cannot {} again; restart the process", who,
                     rd_kafka_err2name(code), why.data(), act);
}

}  // namespace clicktrail::kafka
