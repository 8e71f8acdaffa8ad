#pragma once
// The librdkafka configuration of clicktrail's producer: our defaults, then the caller's options,
// then the raw [kafka.producer] properties, which win. Start-up only; any thread.

#include "base/result.h"
#include "kafka/handles.h"
#include "kafka/producer.h"

namespace clicktrail::kafka {

// Fails (outcome::fail) naming the first property librdkafka refuses, with its reason.
base::result<conf_ptr> make_producer_conf(const producer_options& options);

}  // namespace clicktrail::kafka
