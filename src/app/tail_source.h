#pragma once
// Where `clicktrail tail` reads: the events (or, with --bad, the rejected input) in Kafka when
// [kafka] is configured — a kafka::reader outside any group — or else in the embedded log of
// `clicktrail run`, through a wal::follower that only reads its files.
//
// Lifetime and thread: tail's one thread opens it, polls it and destroys it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "config/config.h"

namespace clicktrail::app {

struct tail_record {
  std::int32_t partition = 0;  // the embedded log has one, 0
  std::int64_t offset = 0;
  std::optional<std::string> value;  // nullopt: a Kafka record with a null value
};

class tail_source {
 public:
  virtual ~tail_source() = default;
  // The records that arrived since the last call, at most `max`, waiting up to `wait` for the
  // first. A returned error ends the tail.
  virtual base::result<std::vector<tail_record>> poll(std::size_t max, std::chrono::milliseconds wait) = 0;
  // What it follows and from where, for the line tail logs when it starts.
  virtual std::string describe() const = 0;
};

// The embedded log's directory of the stream tail reads (wal.dir/events or wal.dir/bad).
std::string embedded_log_dir(const config::config& c, bool bad);

// Opens the source `c` names. Errors name the input and the fix: outcome::fail for what the user
// must change (a topic that does not exist, an unreadable log directory), outcome::retry for
// brokers that did not answer.
base::result<std::unique_ptr<tail_source>> open_tail_source(const config::config& c, bool bad,
                                                            bool from_beginning);

}  // namespace clicktrail::app
