#pragma once
// A reader of one Kafka topic outside any consumer group, for `clicktrail tail`: open() starts it
// on every partition of the topic, from their start or from their end. It has no group.id, so it
// joins no group and commits no offset: the sinks' group never hears of it and its offsets stay
// as they are. Partitions added to the topic after open() are not read.
//
// Threading: one thread owns a reader and makes every call, the destructor included. Records it
// handed out keep librdkafka's handle alive (consumer_record.h) and may outlive it.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "kafka/consumer.h"  // record
#include "kafka/producer.h"  // property_list

namespace clicktrail::kafka {

struct reader_options {
  std::string brokers;
  std::string topic;
  // Raw librdkafka properties ([kafka.consumer]: TLS, SASL, tuning), applied after ours; those
  // about groups, commits and offset resets are the reader's own and left out.
  property_list extra;
};

class reader {
 public:
  enum class start { beginning, end };

  // Learns the topic's partitions and where each starts, waiting at most `timeout` for the
  // brokers. Fails with outcome::retry, naming the brokers, when they do not answer in time, and
  // with outcome::fail, naming the topic, when it does not exist; from the end, every record
  // written after open() returns is read.
  static base::result<std::unique_ptr<reader>> open(const reader_options& options, start from,
                                                    std::chrono::milliseconds timeout);
  virtual ~reader() = default;

  // Up to `max` records, waiting at most `timeout` for the first. Errors librdkafka recovers from
  // by itself (a broker restarting) are logged, not returned; a returned error is outcome::fail.
  virtual base::result<std::vector<std::unique_ptr<record>>> poll(std::size_t max,
                                                                  std::chrono::milliseconds timeout) = 0;

  // Where open() started each partition.
  virtual const std::map<std::int32_t, std::int64_t>& starts() const = 0;
};

}  // namespace clicktrail::kafka
