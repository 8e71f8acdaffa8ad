#include "kafka/delivery_error.h"

#include <fmt/format.h>

#include <string>

namespace clicktrail::kafka {

base::outcome outcome_of(rd_kafka_resp_err_t err) noexcept {
  switch (err) {
    // The record itself can never be accepted.
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:  // invalid topic name
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR__BAD_MSG:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    // Not allowed, or not understood, until an operator changes something.
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_SASL_MECHANISM:
    case RD_KAFKA_RESP_ERR_ILLEGAL_SASL_STATE:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_COMPRESSION_TYPE:
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED:
    case RD_KAFKA_RESP_ERR__BAD_COMPRESSION:
    case RD_KAFKA_RESP_ERR__CONFLICT:
    case RD_KAFKA_RESP_ERR__STATE:
    // The producer itself is finished (see rd_kafka_fatal_error); only a restart helps.
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__FENCED:
      return base::outcome::fail;
    // Everything else is transient or unknown, among them: _MSG_TIMED_OUT, _TIMED_OUT,
    // _TRANSPORT, _ALL_BROKERS_DOWN, _RESOLVE, _QUEUE_FULL, _PURGE_QUEUE, _PURGE_INFLIGHT,
    // _DESTROY, LEADER_NOT_AVAILABLE, NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT,
    // NOT_ENOUGH_REPLICAS(_AFTER_APPEND), NETWORK_EXCEPTION, KAFKA_STORAGE_ERROR,
    // UNKNOWN_TOPIC_OR_PART (a topic being created), INVALID_MSG (Kafka's CORRUPT_MESSAGE:
    // damaged in transit, retriable in Kafka's own clients), THROTTLING_QUOTA_EXCEEDED.
    // Producer-state codes (INVALID_PRODUCER_EPOCH, PRODUCER_FENCED, OUT_OF_ORDER_SEQUENCE_NUMBER,
    // UNKNOWN_PRODUCER_ID) are retry too: the idempotent producer usually recovers by bumping
    // its epoch, and when it cannot it raises a fatal error, which the producer reports as fail.
    default:
      return base::outcome::retry;
  }
}

namespace {

// The operator's next step for the common codes; empty when the generic hint fits.
std::string_view fix_for(rd_kafka_resp_err_t err) noexcept {
  switch (err) {
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
      return "not delivered within the delivery timeout; check that kafka.brokers are up and "
             "reachable, then retry";
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return "the producer's queue is full (queue.buffering.max.messages/kbytes); retry later, "
             "or add collectors or brokers";
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
    case RD_KAFKA_RESP_ERR__DESTROY:
      return "the producer shut down before delivery; retry against a running collector";
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return "create the topic, or enable auto.create.topics.enable on the brokers, then retry";
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return "fewer in-sync replicas than the topic's min.insync.replicas; bring brokers back, "
             "then retry";
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
      return "the record is larger than message.max.bytes; send smaller events, or raise the "
             "topic's max.message.bytes and [kafka.producer] message.max.bytes together";
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
      return "grant this client's principal Write (and IdempotentWrite) on the topic";
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__SSL:
      return "check the sasl.* and ssl.* properties under [kafka.producer]";
    default:
      return {};
  }
}

}  // namespace

base::error delivery_error(rd_kafka_resp_err_t err, std::string_view topic) {
  const base::outcome what = outcome_of(err);
  std::string_view fix = fix_for(err);
  if (fix.empty()) {
    fix = what == base::outcome::retry
              ? "a transient broker condition; retry"
              : "the record or the configuration must change before this can succeed";
  }
  return {what, fmt::format("kafka delivery to topic \"{}\" failed ({}: {}): {}", topic,
                            rd_kafka_err2name(err), rd_kafka_err2str(err), fix)};
}

}  // namespace clicktrail::kafka
