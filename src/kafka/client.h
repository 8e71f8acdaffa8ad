#pragma once
// What every librdkafka client of clicktrail does alike — the producer, the group consumer and
// the reader: created with its error callback and librdkafka's log lines in ours, and the same
// words for a fatal error. Any thread; the callbacks run where each client says.

#include <librdkafka/rdkafka.h>

#include <string>
#include <string_view>

#include "base/result.h"
#include "kafka/handles.h"

namespace clicktrail::kafka {

using error_callback = void (*)(rd_kafka_t* rk, int err, const char* reason, void* opaque);

// rd_kafka_new() of `type` over `conf`, which it takes over on success, with `opaque` and
// `on_error` set and librdkafka's log lines in the "kafka" logger. Fails naming `who` ("kafka
// consumer") and `section`, the config table to check ("kafka.consumer").
base::result<rd_kafka_t*> new_client(rd_kafka_type_t type, conf_ptr conf, void* opaque,
                                     error_callback on_error, std::string_view who, std::string_view section);

// "<who> hit a fatal error (<code>: <reason>) and cannot <act> again; restart the process".
std::string fatal_message(rd_kafka_t* rk, std::string_view who, std::string_view act);

}  // namespace clicktrail::kafka
