#include "kafka/client_conf.h"

#include <fmt/format.h>

#include <array>

namespace clicktrail::kafka {

base::status set_properties(rd_kafka_conf_t* conf, std::string_view section,
                            const property_list& properties) {
  for (const auto& [name, value] : properties) {
    std::array<char, 512> why{};
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), why.data(), why.size()) != RD_KAFKA_CONF_OK) {
      return base::error::fail(fmt::format("{} property \"{}\": {}; see librdkafka's CONFIGURATION.md",
                                           section, name, why.data()));
    }
  }
  return base::ok_v;
}

std::string value_of(rd_kafka_conf_t* conf, const char* name) {
  std::array<char, 512> value{};
  size_t size = value.size();
  if (rd_kafka_conf_get(conf, name, value.data(), &size) == RD_KAFKA_CONF_OK) return value.data();
  size = value.size();
  if (rd_kafka_topic_conf_t* topic = rd_kafka_conf_get_default_topic_conf(conf);
      topic && rd_kafka_topic_conf_get(topic, name, value.data(), &size) == RD_KAFKA_CONF_OK) {
    return value.data();
  }
  return {};
}

}  // namespace clicktrail::kafka
