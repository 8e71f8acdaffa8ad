#pragma once
// The consumer's questions to the cluster about offsets: what the group has committed, and where
// each partition starts and ends. Blocking; called on the consumer's owner thread (the committed-offset
// query also from its rebalance callback, which runs there).

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "kafka/handles.h"

namespace clicktrail::kafka {

// A list of topic[p] for each partition, offsets unset.
partition_list_ptr list_of(const std::string& topic, const std::vector<std::int32_t>& partitions);

// rd_kafka_*() timeouts are int milliseconds: clamps to [0, INT_MAX].
int to_ms(std::chrono::milliseconds d);

// Fills `list` with the group's committed offsets; the map holds the partitions that have one.
// librdkafka retries while the coordinator moves, up to `timeout`.
base::result<std::map<std::int32_t, std::int64_t>> read_committed(rd_kafka_t* rk, const std::string& topic,
                                                                  rd_kafka_topic_partition_list_t& list,
                                                                  std::chrono::milliseconds timeout);

// The offset after the last readable record of every partition of `topic`; none when the topic
// does not exist.
base::result<std::map<std::int32_t, std::int64_t>> read_end_offsets(rd_kafka_t* rk, const std::string& topic,
                                                                    std::chrono::milliseconds timeout);
// The offset of the first record still kept of every partition of `topic`; none when the topic
// does not exist.
base::result<std::map<std::int32_t, std::int64_t>> read_start_offsets(rd_kafka_t* rk,
                                                                      const std::string& topic,
                                                                      std::chrono::milliseconds timeout);

}  // namespace clicktrail::kafka
