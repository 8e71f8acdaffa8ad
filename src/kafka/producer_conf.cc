#include "kafka/producer_conf.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "kafka/client_conf.h"

namespace clicktrail::kafka {
namespace {

std::int64_t message_timeout_ms(std::chrono::milliseconds delivery_timeout) {
  const auto ms = delivery_timeout.count();
  return ms >= 2000 ? ms - 1000 : std::max<std::int64_t>(ms / 2, 1);
}

// The 2xx promise rests on these; [kafka.producer] (or CLICKTRAIL_KAFKA_PRODUCER_*) may tune
// anything else. Checked on the final values, so that an alias (request.required.acks,
// max.in.flight) is caught too.
base::status check_durable(rd_kafka_conf_t* conf) {
  const auto refuse = [](std::string_view name, std::string_view value, std::string_view why) {
    return base::error::fail(fmt::format(
        "kafka.producer property \"{}\" is \"{}\": {}; remove it from [kafka.producer] (or the "
        "CLICKTRAIL_KAFKA_PRODUCER_* variable that sets it): clicktrail's own value is what its 2xx promise "
        "rests on",
        name, value, why));
  };
  if (const std::string acks = value_of(conf, "acks"); acks != "-1" && acks != "all") {
    return refuse("acks", acks,
                  "the collector would answer 2xx once the partition leader alone has the event, which a "
                  "leader failing over then loses; acks must stay all");
  }
  if (const std::string idempotence = value_of(conf, "enable.idempotence"); idempotence != "true") {
    return refuse("enable.idempotence", idempotence,
                  "a retry after a lost acknowledgement could write an event twice or out of order; it must "
                  "stay true");
  }
  return base::ok_v;
}

}  // namespace

base::result<conf_ptr> make_producer_conf(const producer_options& options) {
  conf_ptr conf(rd_kafka_conf_new());
  const property_list ours = {
      {"bootstrap.servers", options.brokers},
      {"client.id", "clicktrail"},
      // A 2xx means durable: every in-sync replica has the record, and retries after a lost
      // acknowledgement cannot write it twice or out of order.
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"compression.codec", options.compression},
      {"linger.ms", std::to_string(options.linger.count())},
      // The bound from produce() to the callback. The pipeline answers 503 at delivery_timeout
      // by its own timer; a second less here (librdkafka checks about once a second) lets most
      // records that will not make it fail before that answer rather than be delivered after
      // it, when the client's retry would store them twice.
      {"message.timeout.ms", std::to_string(message_timeout_ms(options.delivery_timeout))},
      // Room for a ~2 s burst at 500 k events/s before produce() answers queue-full (retry); the
      // byte limit is a cap, not an allocation.
      {"queue.buffering.max.messages", "1000000"},
      {"queue.buffering.max.kbytes", "1048576"},
      // Batches up to 1 MB: below the broker's default message.max.bytes (1 MiB + 12), so a
      // full batch is never refused; at 300-byte events a batch fills in ~7 ms at 500 k/s.
      {"batch.num.messages", "10000"},
      {"batch.size", "1000000"},
      // A visitor's events land on the partition a Java producer would pick for the same key
      // (Kafka's own default, murmur2), so a topic joins with others that Java clients keyed alike.
      // librdkafka's default hashes keys with zlib's crc32, 2% of the collector's CPU samples on
      // batched events (bench/README.md; within the noise of a CPU A/B).
      {"partitioner", "murmur2_random"},
      // Small batches leave at once instead of waiting for Nagle's delayed ACK (p99 target).
      {"socket.nagle.disable", "true"},
  };
  for (const auto* list : {&ours, &options.extra}) {
    if (auto s = set_properties(conf.get(), "kafka.producer", *list); !s) return std::move(s).err();
  }
  if (auto s = check_durable(conf.get()); !s) return std::move(s).err();
  return conf;
}

}  // namespace clicktrail::kafka
