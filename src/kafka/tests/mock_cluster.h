#pragma once
// librdkafka's built-in mock cluster: the way to make a broker fail on command without
// disturbing the shared real one, which the other tests use. Shared by the producer and
// consumer tests.

#include <librdkafka/rdkafka.h>
// After rdkafka.h.
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <memory>
#include <string>

#include "kafka/handles.h"

namespace clicktrail::kafka::testing {

// One broker with topic "events" of `partitions` partitions; consumer groups work too.
class mock_cluster {
 public:
  explicit mock_cluster(int partitions = 1) {
    conf_ptr conf(rd_kafka_conf_new());
    rd_kafka_conf_set_log_cb(conf.get(), [](const rd_kafka_t*, int, const char*, const char*) {});
    std::array<char, 256> why{};
    owner_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), why.data(), why.size()));
    if (owner_) (void)conf.release();
    if (owner_) cluster_.reset(rd_kafka_mock_cluster_new(owner_.get(), 1));
    if (cluster_) rd_kafka_mock_topic_create(cluster_.get(), "events", partitions, 1);
  }
  rd_kafka_mock_cluster_t* get() const { return cluster_.get(); }
  std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster_.get()); }

 private:
  struct cluster_deleter {
    void operator()(rd_kafka_mock_cluster_t* c) const noexcept { rd_kafka_mock_cluster_destroy(c); }
  };
  client_ptr owner_;
  std::unique_ptr<rd_kafka_mock_cluster_t, cluster_deleter> cluster_;  // destroyed before owner_
};

}  // namespace clicktrail::kafka::testing
