#pragma once
// What a consumer-side librdkafka error means for the sink: retry (the group or the cluster is
// changing; poll() and try again) or fail (an operator must change something, or the consumer is
// finished). Pure functions; any thread.

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace clicktrail::kafka {

// fail for permissions, authentication, configuration and fatal errors; retry otherwise —
// including the group-generation codes, which a poll() (and its rebalance callbacks) resolves.
base::outcome consumer_outcome(rd_kafka_resp_err_t err) noexcept;

// A failed commit of `offset` for topic[partition].
base::error commit_error(rd_kafka_resp_err_t err, std::string_view topic, std::int32_t partition,
                         std::int64_t offset);

// A failed request about `topic` (what: "fetching committed offsets", "reading end offsets", …).
base::error consumer_error(rd_kafka_resp_err_t err, std::string_view topic, std::string_view what);

}  // namespace clicktrail::kafka
