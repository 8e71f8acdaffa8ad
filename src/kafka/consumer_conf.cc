#include "kafka/consumer_conf.h"

#include <fmt/format.h>

#include <string>
#include <utility>

#include "kafka/client_conf.h"

namespace clicktrail::kafka {
base::result<conf_ptr> make_consumer_conf(const consumer_options& options) {
  if (options.group_id.empty() || options.topic.empty()) {
    return base::error::fail(
        "kafka consumer needs a group id and a topic; set sink.group_id and kafka.topic");
  }
  conf_ptr conf(rd_kafka_conf_new());
  const property_list ours = {
      {"bootstrap.servers", options.brokers},
      {"client.id", "clicktrail"},
      {"group.id", options.group_id},
      // The sink commits an offset only once every record before it is in the object store.
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      // An offset out of range is reported to us, not reset in silence: below the partition's
      // start, retention deleted records before they were read (the consumer goes on from the
      // start, loudly); past its end, the partition went back (a topic created again, a truncated
      // log), which the owner must decide about. A partition with no committed offset starts at
      // its first record (the consumer looks it up).
      {"auto.offset.reset", "error"},
      // The eager protocol: every rebalance revokes the whole assignment, then assigns anew
      // (consumer_conf.h says why not cooperative-sticky).
      {"partition.assignment.strategy", "range,roundrobin"},
      // Our producer is not transactional, so this changes nothing today; it keeps aborted
      // transactions out should one write to the topic.
      {"isolation.level", "read_committed"},
      {"session.timeout.ms", std::to_string(default_session_timeout.count())},
      {"heartbeat.interval.ms", std::to_string(default_heartbeat_interval.count())},
      // librdkafka before 2.1 (Debian 12 ships 2.0.2) stops fetching for a fixed second whenever
      // the queue of fetched records passes queued.min.messages or queued.max.messages.kbytes;
      // with a local broker the sink emptied its default 100,000 records in well under that,
      // then sat idle: busy ~0.8 s, idle ~0.9 s, over and over (fetch debug logs; 2.1 adds
      // fetch.queue.backoff.ms). The byte limit alone now bounds the queue (all partitions
      // share one), at about a second of the sink's work, so that the fetch resumes before it
      // runs dry: 400,000 binary records went from 3.5 to 2.3 s of wall time for the same CPU.
      {"queued.min.messages", "10000000"},
      {"queued.max.messages.kbytes", "131072"},
  };
  for (const auto* list : {&ours, &options.extra}) {
    if (auto s = set_properties(conf.get(), "kafka.consumer", *list); !s) return std::move(s).err();
  }
  if (value_of(conf.get(), "enable.auto.commit") != "false") {
    return base::error::fail(
        "kafka.consumer property \"enable.auto.commit\" must stay false: the sink commits an offset only "
        "after the files holding the records before it are uploaded; remove it from [kafka.consumer]");
  }
  if (value_of(conf.get(), "auto.offset.reset") != "error") {
    return base::error::fail(
        "kafka.consumer property \"auto.offset.reset\" must stay \"error\": the sink decides what an offset "
        "out of range means (records deleted before they were read, or a topic created again); remove it "
        "from [kafka.consumer]");
  }
  if (value_of(conf.get(), "partition.assignment.strategy").find("cooperative") != std::string::npos) {
    return base::error::fail(
        "kafka.consumer property \"partition.assignment.strategy\": cooperative-sticky is not supported "
        "(the consumer implements the eager protocol, and librdkafka before 2.2.1 can crash closing such "
        "a consumer); use range or roundrobin, or remove it from [kafka.consumer]");
  }
  return conf;
}

}  // namespace clicktrail::kafka
