#pragma once
// Setting librdkafka properties with errors that name the property, shared by the producer's and
// the consumer's configuration. Start-up only; any thread.

#include <librdkafka/rdkafka.h>

#include <string>
#include <string_view>

#include "base/result.h"
#include "kafka/producer.h"  // property_list

namespace clicktrail::kafka {

// Sets each property in order, stopping at the first librdkafka refuses: fail, naming `section`
// (the config table the user wrote it in, e.g. "kafka.consumer"), the property and the reason.
base::status set_properties(rd_kafka_conf_t* conf, std::string_view section, const property_list& properties);

// The final value of the property `name` after every property has been applied, aliases
// included (a topic property such as "acks" through the default topic configuration); empty
// when librdkafka has no such property.
std::string value_of(rd_kafka_conf_t* conf, const char* name);

}  // namespace clicktrail::kafka
