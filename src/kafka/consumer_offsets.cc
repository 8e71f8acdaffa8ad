#include "kafka/consumer_offsets.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>

#include "base/clock.h"
#include "kafka/consumer_error.h"

namespace clicktrail::kafka {
namespace {

base::result<std::vector<std::int32_t>> partitions_of(rd_kafka_t* rk, const std::string& topic,
                                                      std::chrono::milliseconds timeout) {
  const topic_ptr handle(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
  if (!handle) return consumer_error(rd_kafka_last_error(), topic, "opening");
  const rd_kafka_metadata_t* raw = nullptr;
  const auto err = rd_kafka_metadata(rk, 0, handle.get(), &raw, to_ms(timeout));
  const metadata_ptr metadata(raw);
  if (err) return consumer_error(err, topic, "reading the partitions");
  // A topic that does not exist (yet) has no partitions, and so nothing to read.
  if (metadata->topic_cnt != 1) return std::vector<std::int32_t>{};
  const rd_kafka_metadata_topic_t& t = metadata->topics[0];
  if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) return std::vector<std::int32_t>{};
  if (t.err) return consumer_error(t.err, topic, "reading the partitions");
  std::vector<std::int32_t> out;
  out.reserve(static_cast<size_t>(t.partition_cnt));
  for (int i = 0; i < t.partition_cnt; ++i) out.push_back(t.partitions[i].id);
  return out;
}

}  // namespace

partition_list_ptr list_of(const std::string& topic, const std::vector<std::int32_t>& partitions) {
  partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const std::int32_t p : partitions) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
  return list;
}

int to_ms(std::chrono::milliseconds d) {
  return static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(d.count(), 0, INT_MAX));
}

base::result<std::map<std::int32_t, std::int64_t>> read_committed(rd_kafka_t* rk, const std::string& topic,
                                                                  rd_kafka_topic_partition_list_t& list,
                                                                  std::chrono::milliseconds timeout) {
  if (const auto err = rd_kafka_committed(rk, &list, to_ms(timeout)); err) {
    return consumer_error(err, topic, "fetching the committed offsets");
  }
  std::map<std::int32_t, std::int64_t> out;
  for (int i = 0; i < list.cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = list.elems[i];
    if (tp.err) {
      return consumer_error(tp.err, topic,
                            fmt::format("fetching the committed offset of partition {}", tp.partition));
    }
    if (tp.offset >= 0) out[tp.partition] = tp.offset;  // RD_KAFKA_OFFSET_INVALID: none committed
  }
  return out;
}

namespace {

// The offset of every partition of `topic` at `edge`: RD_KAFKA_OFFSET_BEGINNING (its first record
// still kept) or RD_KAFKA_OFFSET_END (one past its last).
base::result<std::map<std::int32_t, std::int64_t>> read_edge_offsets(rd_kafka_t* rk, const std::string& topic,
                                                                     std::int64_t edge,
                                                                     std::chrono::milliseconds timeout) {
  const auto deadline = base::steady::now() + timeout;
  auto partitions = partitions_of(rk, topic, timeout);
  if (!partitions) return std::move(partitions).err();
  if (partitions->empty()) return std::map<std::int32_t, std::int64_t>{};
  // One ListOffsets request per leader for all partitions, asking for the earliest or the latest
  // offset (the timestamps -2 and -1 mean those). rd_kafka_query_watermark_offsets() would make a
  // round trip per partition. Each request shares its connection with the consumer's fetches, so
  // it may wait up to fetch.wait.max.ms (500 ms) for an in-flight one to be answered.
  // With isolation.level=read_committed the broker answers the last stable offset for the end:
  // the high watermark for a topic without open transactions (ours), the offset after the last
  // record.
  const char* which = edge == RD_KAFKA_OFFSET_END ? "end" : "start";
  const partition_list_ptr list = list_of(topic, *partitions);
  for (int i = 0; i < list->cnt; ++i) list->elems[i].offset = edge;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - base::steady::now());
  if (const auto err = rd_kafka_offsets_for_times(rk, list.get(), to_ms(left)); err) {
    return consumer_error(err, topic, fmt::format("reading the {} offsets", which));
  }
  std::map<std::int32_t, std::int64_t> out;
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    if (tp.err || tp.offset < 0) {
      return consumer_error(tp.err ? tp.err : RD_KAFKA_RESP_ERR__NO_OFFSET, topic,
                            fmt::format("reading the {} offset of partition {}", which, tp.partition));
    }
    out[tp.partition] = tp.offset;
  }
  return out;
}

}  // namespace

base::result<std::map<std::int32_t, std::int64_t>> read_end_offsets(rd_kafka_t* rk, const std::string& topic,
                                                                    std::chrono::milliseconds timeout) {
  return read_edge_offsets(rk, topic, RD_KAFKA_OFFSET_END, timeout);
}

base::result<std::map<std::int32_t, std::int64_t>> read_start_offsets(rd_kafka_t* rk,
                                                                      const std::string& topic,
                                                                      std::chrono::milliseconds timeout) {
  return read_edge_offsets(rk, topic, RD_KAFKA_OFFSET_BEGINNING, timeout);
}

}  // namespace clicktrail::kafka
