#pragma once
// Records the consumer has taken from librdkafka's queue and not yet handed out, held per
// partition in order, and handed out in equal shares (consumer.h, poll()). librdkafka's queue
// holds fetched batches whole, one partition's after another; holding a few batches' worth here
// lets one poll() give every partition read so far a share.
//
// Owned by the consumer; used on its owner thread only.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "kafka/consumer_record.h"

namespace clicktrail::kafka {

class read_ahead {
 public:
  std::size_t count() const noexcept { return count_; }
  std::int64_t bytes() const noexcept { return bytes_; }

  void hold(message_ptr m);
  // Up to `max` records, an equal share of each partition held, in turn: each call's turn starts
  // one partition further on, so that the remainder of a share does not always go to the same
  // partitions. `client` keeps librdkafka alive while a record lives.
  std::vector<std::unique_ptr<record>> take(std::size_t max, const client_ref& client);
  // Forgets what is held of `partition` (of every partition: nullopt); returns how many records.
  std::size_t drop(std::optional<std::int32_t> partition);

 private:
  std::map<std::int32_t, std::deque<message_ptr>> held_;
  std::size_t count_ = 0;
  std::int64_t bytes_ = 0;
  std::int32_t first_turn_ = 0;  // the partition (or the next one held) whose share comes first
};

}  // namespace clicktrail::kafka
