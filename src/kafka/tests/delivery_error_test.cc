#include "kafka/delivery_error.h"

#include <gtest/gtest.h>

namespace clicktrail::kafka {
namespace {

TEST(delivery_error_test, transient_conditions_are_retry) {
  for (const auto err :
       {RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
        RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
        RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH, RD_KAFKA_RESP_ERR_UNKNOWN}) {
    EXPECT_EQ(outcome_of(err), base::outcome::retry) << rd_kafka_err2name(err);
  }
}

TEST(delivery_error_test, records_and_permissions_that_cannot_succeed_are_fail) {
  for (const auto err : {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                         RD_KAFKA_RESP_ERR_INVALID_RECORD, RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS,
                         RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, RD_KAFKA_RESP_ERR__FATAL}) {
    EXPECT_EQ(outcome_of(err), base::outcome::fail) << rd_kafka_err2name(err);
  }
}

TEST(delivery_error_test, message_names_the_topic_the_code_and_the_fix) {
  const base::error e = delivery_error(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, "clicktrail.events");
  EXPECT_EQ(e.what, base::outcome::fail);
  EXPECT_NE(e.message.find(R"("clicktrail.events")"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("MSG_SIZE_TOO_LARGE"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("max.message.bytes"), std::string::npos) << e.message;
}

}  // namespace
}  // namespace clicktrail::kafka
