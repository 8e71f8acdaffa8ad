#pragma once
// What a failed delivery means for the caller: librdkafka's error codes mapped to base::outcome,
// with a message that names the topic and the fix. Pure functions; any thread.

#include <librdkafka/rdkafka.h>

#include <string_view>

#include "base/result.h"

namespace clicktrail::kafka {

// retry for transient conditions (timeouts, brokers down or changing leaders, queue full, the
// producer shutting down); fail when the record or the configuration must change first.
// Codes not known to be permanent count as retry: a 503 the tracker retries loses nothing, a
// wrong fail would drop events.
base::outcome outcome_of(rd_kafka_resp_err_t err) noexcept;

// The error for a record to `topic` that failed with `err` (not RD_KAFKA_RESP_ERR_NO_ERROR).
base::error delivery_error(rd_kafka_resp_err_t err, std::string_view topic);

}  // namespace clicktrail::kafka
