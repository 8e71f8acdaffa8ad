#pragma once
// Where the sink reads records from: a Kafka consumer group, or the embedded log. The app adapts
// each transport to this interface, so the sink knows neither.
//
// Threading: one thread (the sink's loop) makes every call; assignment callbacks run inside
// poll() on that thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace clicktrail::sink {

class source_record {
 public:
  virtual ~source_record() = default;
  virtual std::int32_t partition() const = 0;
  virtual std::int64_t offset() const = 0;
  virtual std::optional<std::string_view> value() const = 0;  // nullopt: a null value
  virtual std::int64_t timestamp_ms() const = 0;
  // A hint that the record is read soon: the transport may start loading what value() touches.
  virtual void prefetch() const {}
};

// Told which partitions this sink owns. Called from source::poll().
class assignment_listener {
 public:
  virtual ~assignment_listener() = default;
  // Partitions gained, each with the source's committed offset (nullopt: none yet). Reading starts
  // once this returns, at the offset it returns for a partition — else at the committed offset,
  // else the beginning.
  virtual std::map<std::int32_t, std::int64_t> on_assigned(
      const std::map<std::int32_t, std::optional<std::int64_t>>& committed) = 0;
  // Partitions about to be lost: drop their open work, commit nothing new.
  virtual void on_revoked(const std::vector<std::int32_t>& partitions) = 0;
};

class source {
 public:
  virtual ~source() = default;
  virtual base::result<std::vector<std::unique_ptr<source_record>>> poll(
      std::size_t max, std::chrono::milliseconds timeout) = 0;
  // `offset` is the next record to read: every record before it is safe in the store. The sink's
  // own record (the intent object) is what counts; this keeps the source's view — its lag, its
  // retention — up with it.
  virtual base::status commit(std::int32_t partition, std::int64_t offset) = 0;
  // The committed offset of `partition`, asked now (nullopt: none).
  virtual base::result<std::optional<std::int64_t>> committed(std::int32_t partition) = 0;
  // For messages: how an operator sets the committed offset of `partition` to `offset` by hand
  // ("commit it for the group: kafka-consumer-groups.sh …").
  virtual std::string how_to_commit(std::int32_t partition, std::int64_t offset) const = 0;
  // Reading of an assigned partition goes on from `offset` (nullopt: its first record); nothing
  // read before for the old position comes after this.
  virtual base::status seek(std::int32_t partition, std::optional<std::int64_t> offset) = 0;
  // End offsets of every partition, for --until-caught-up.
  virtual base::result<std::map<std::int32_t, std::int64_t>> end_offsets(
      std::chrono::milliseconds timeout) = 0;
  // The name used in object keys: the Kafka topic, or "wal".
  // A partition's end offset as last seen, without a request (nullopt: not known yet). For the
  // lag metric, so it may lag behind a little.
  virtual std::optional<std::int64_t> last_seen_end_offset(std::int32_t partition) const = 0;
  virtual const std::string& name() const = 0;
  // True while the source knows it has no partitions to hand out (its topic does not exist yet),
  // so that waiting for an assignment is not a fault.
  virtual bool nothing_to_assign() const { return false; }
};

}  // namespace clicktrail::sink
