#pragma once
// A Kafka consumer in a consumer group over librdkafka, with manual offset commits: the sink
// commits an offset only once everything before it is safe in the object store.
//
// Threading: one thread owns a consumer and makes every call; rebalance callbacks run inside
// poll() on that thread, so the owner sees assignment changes between records, never during one.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/metrics.h"
#include "base/result.h"
#include "kafka/producer.h"  // property_list

namespace clicktrail::kafka {

struct consumer_options {
  std::string brokers;
  std::string group_id;
  std::string topic;
  property_list extra;  // raw librdkafka properties, applied last
  // How many bytes poll() may read past its batch so that each partition gets a share of it
  // (0: none; see poll()). For an owner that works on partitions side by side (the sink's workers).
  std::int64_t read_ahead_bytes = 0;
};

// One consumed record. Owns its librdkafka message; views stay valid while it lives.
class record {
 public:
  virtual ~record() = default;
  virtual std::int32_t partition() const = 0;
  virtual std::int64_t offset() const = 0;
  virtual std::string_view key() const = 0;
  virtual std::optional<std::string_view> value() const = 0;  // nullopt: a null value (tombstone)
  virtual std::int64_t timestamp_ms() const = 0;              // the record's Kafka timestamp
  // A hint that the record is read soon: start loading what the calls above touch.
  virtual void prefetch() const {}
};

// Told about the partitions this member gains and loses. Called from poll().
class rebalance_listener {
 public:
  virtual ~rebalance_listener() = default;
  // The partitions gained, each with the group's committed offset (nullopt: none committed yet).
  // Consumption starts once this returns — at the offset it returns for a partition, else at the
  // committed offset (else the beginning) — so the listener can recover first and decide where to
  // read from (the sink keeps its own record of what it wrote, which may be ahead of the group's).
  virtual std::map<std::int32_t, std::int64_t> on_assigned(
      const std::map<std::int32_t, std::optional<std::int64_t>>& committed) = 0;
  // Before the partitions go to another member: the last moment to commit or abort their work.
  virtual void on_revoked(const std::vector<std::int32_t>& partitions) = 0;
};

class consumer {
 public:
  // Subscribes to options.topic in options.group_id. Auto-commit is off; a partition with no
  // committed offset starts at its beginning.
  static base::result<std::unique_ptr<consumer>> create(const consumer_options& options,
                                                        rebalance_listener& listener,
                                                        base::registry& metrics);
  virtual ~consumer() = default;  // leaves the group (revoking, which calls on_revoked)

  // Up to `max` records, waiting at most `timeout` for the first. Errors that the consumer
  // recovers from by itself are logged, not returned; a returned error is outcome::fail.
  // Each partition's records come in order; partitions are grouped, and with read_ahead_bytes
  // the batch holds an equal share of every partition read so far, rather than the next `max`
  // records of librdkafka's queue (which holds fetched batches whole, one partition's after
  // another, and a producer's batch may hold tens of thousands of records).
  virtual base::result<std::vector<std::unique_ptr<record>>> poll(std::size_t max,
                                                                  std::chrono::milliseconds timeout) = 0;

  // Commits `offset` (the next record to read) for `partition`, synchronously.
  virtual base::status commit(std::int32_t partition, std::int64_t offset) = 0;
  // Reading of an assigned `partition` goes on from `offset` (nullopt: its first record): no record
  // fetched before for the old position is returned after this.
  virtual base::status seek(std::int32_t partition, std::optional<std::int64_t> offset) = 0;
  // The group's committed offset for each partition; absent when none was committed.
  virtual base::result<std::map<std::int32_t, std::int64_t>> committed(
      const std::vector<std::int32_t>& partitions, std::chrono::milliseconds timeout) = 0;
  // The end offset (high watermark) of every partition of the topic, for --until-caught-up; none
  // when the topic does not exist (yet).
  virtual base::result<std::map<std::int32_t, std::int64_t>> end_offsets(
      std::chrono::milliseconds timeout) = 0;

  // The partition's end offset as last seen in a fetch response (no request is made); nullopt
  // before the first fetch. For the lag metric.
  virtual std::optional<std::int64_t> last_seen_end_offset(std::int32_t partition) const = 0;
  // True from the broker's word that the topic does not exist until the group assigns this member
  // partitions: there is nothing to wait for. Any thread may call it.
  virtual bool topic_missing() const = 0;

  virtual const std::string& topic() const = 0;
};

}  // namespace clicktrail::kafka
