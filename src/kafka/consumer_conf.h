#pragma once
// The librdkafka configuration of clicktrail's group consumer: our defaults, then the caller's
// options, then the raw [kafka.consumer] properties, which win — except where they would break
// the sink's exactly-once algorithm, which create() refuses. Start-up only; any thread.

#include <chrono>

#include "base/result.h"
#include "kafka/consumer.h"
#include "kafka/handles.h"

namespace clicktrail::kafka {

// Defaults chosen for failover speed; [kafka.consumer] may override both.
//
// A member that dies without leaving (kill -9, a lost host) keeps its partitions until the
// broker has heard nothing for session.timeout.ms. Kafka's default (45 s) stalls those
// partitions that long; 10 s is short enough for the sink's kill tests and for operators, and
// safe for a C++ process, because librdkafka heartbeats from its own thread: a slow upload on the
// owner thread never misses a heartbeat (max.poll.interval.ms, 5 min by default, guards that).
// The broker's group.min.session.timeout.ms (6 s by default) is the floor.
inline constexpr std::chrono::milliseconds default_session_timeout{10'000};
// Members learn of a rebalance from a heartbeat's answer: 1 s keeps rebalances short.
inline constexpr std::chrono::milliseconds default_heartbeat_interval{1'000};

// Fails (outcome::fail) naming the first property librdkafka refuses, and refuses
// enable.auto.commit=true (offsets would be committed before their files are uploaded) and the
// cooperative-sticky assignor (librdkafka before 2.2.1 can crash closing such a consumer before
// its first rebalance, issue #4312; the consumer implements the eager protocol).
base::result<conf_ptr> make_consumer_conf(const consumer_options& options);

}  // namespace clicktrail::kafka
