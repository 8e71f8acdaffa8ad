#include "kafka/consumer_error.h"

#include <fmt/format.h>

#include "kafka/delivery_error.h"

namespace clicktrail::kafka {

base::outcome consumer_outcome(rd_kafka_resp_err_t err) noexcept {
  switch (err) {
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_INVALID_GROUP_ID:
    case RD_KAFKA_RESP_ERR_INVALID_SESSION_TIMEOUT:
    case RD_KAFKA_RESP_ERR_INCONSISTENT_GROUP_PROTOCOL:
    case RD_KAFKA_RESP_ERR_GROUP_MAX_SIZE_REACHED:
    case RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_COMMIT_OFFSET_SIZE:
    case RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID:
    case RD_KAFKA_RESP_ERR__UNKNOWN_GROUP:
      return base::outcome::fail;
    // A member outside the current generation: the next poll() runs the rebalance that follows.
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST:
    case RD_KAFKA_RESP_ERR__MAX_POLL_EXCEEDED:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT:
      return base::outcome::retry;
    // Authentication, authorization, unsupported features and fatal errors as for producing.
    default:
      return outcome_of(err);
  }
}

namespace {

std::string_view fix_for(rd_kafka_resp_err_t err, base::outcome what) noexcept {
  switch (err) {
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST:
      return "the group is rebalancing; call poll() to learn whether the partition is still assigned, "
             "and commit again only if it is";
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
      return "the group coordinator is unreachable; check that kafka.brokers are up, then retry";
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
      return "grant this client's principal Read on the consumer group";
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
      return "grant this client's principal Read and Describe on the topic";
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return "the topic does not exist yet; create it, or start the collector first";
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID:
      return "the consumer cannot continue; restart the process";
    default:
      return what == base::outcome::retry ? "a transient broker condition; retry"
                                          : "the configuration must change before this can succeed";
  }
}

}  // namespace

base::error commit_error(rd_kafka_resp_err_t err, std::string_view topic, std::int32_t partition,
                         std::int64_t offset) {
  const base::outcome what = consumer_outcome(err);
  return {what, fmt::format("kafka commit of offset {} for {}[{}] failed ({}: {}): {}", offset, topic,
                            partition, rd_kafka_err2name(err), rd_kafka_err2str(err), fix_for(err, what))};
}

base::error consumer_error(rd_kafka_resp_err_t err, std::string_view topic, std::string_view what_for) {
  const base::outcome what = consumer_outcome(err);
  return {what, fmt::format("kafka consumer failed {} of topic \"{}\" ({}: {}): {}", what_for, topic,
                            rd_kafka_err2name(err), rd_kafka_err2str(err), fix_for(err, what))};
}

}  // namespace clicktrail::kafka
