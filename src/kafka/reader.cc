// The group-less reader over librdkafka's C API. The high-level consumer (rd_kafka_assign(),
// rd_kafka_consumer_poll()) refuses to work without a group.id, so this is librdkafka's simple
// consumer: rd_kafka_consume_start_queue() of each partition at an explicit offset into one
// queue of ours, and no group.id at all — there is no group to join and nothing to commit to.
// The error callback runs inside poll() (rd_kafka_poll()) on the owner thread; only the log
// callback runs on librdkafka's internal threads.
#include "kafka/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <optional>
#include <set>
#include <utility>

#include "base/clock.h"
#include "kafka/client.h"
#include "kafka/client_conf.h"
#include "kafka/client_log.h"
#include "kafka/consumer_error.h"
#include "kafka/consumer_offsets.h"
#include "kafka/consumer_record.h"
#include "kafka/handles.h"

namespace clicktrail::kafka {
namespace {

using namespace std::chrono_literals;

// Properties that would make the reader a group member, commit, or reset offsets in a way it does
// not expect: [kafka.consumer] sets them for the sinks, not for it.
bool belongs_to_groups(const std::string& name) {
  static const std::set<std::string, std::less<>> ours = {"enable.auto.commit",
                                                          "enable.auto.offset.store",
                                                          "auto.commit.interval.ms",
                                                          "auto.commit.enable",
                                                          "auto.offset.reset",
                                                          "offset.store.method",
                                                          "offset.store.path",
                                                          "offset.store.sync.interval.ms",
                                                          "partition.assignment.strategy"};
  return name.starts_with("group.") || ours.contains(name);
}

base::result<conf_ptr> make_reader_conf(const reader_options& options) {
  conf_ptr conf(rd_kafka_conf_new());
  const property_list first = {
      {"bootstrap.servers", options.brokers},
      {"client.id", "clicktrail-tail"},
      // What the sinks read: nothing from an aborted transaction, should one write to the topic.
      {"isolation.level", "read_committed"},
  };
  property_list extra;
  std::copy_if(options.extra.begin(), options.extra.end(), std::back_inserter(extra),
               [](const auto& p) { return !belongs_to_groups(p.first); });
  const property_list last = {
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      // A position that retention deleted under a slow reader: go on from the first record kept.
      {"auto.offset.reset", "earliest"},
  };
  for (const property_list* list : {&first, &std::as_const(extra), &last}) {
    if (auto s = set_properties(conf.get(), "kafka.consumer", *list); !s) return std::move(s).err();
  }
  return conf;
}

class librdkafka_reader final : public reader {
 public:
  explicit librdkafka_reader(const reader_options& options)
      : topic_(options.topic), brokers_(options.brokers) {}
  librdkafka_reader(const librdkafka_reader&) = delete;
  librdkafka_reader& operator=(const librdkafka_reader&) = delete;

  // Stops the fetchers, which librdkafka wants before its handle goes; queue_ and handle_ go
  // before client_ (declared after it).
  ~librdkafka_reader() override {
    for (const auto& [p, offset] : starts_) (void)rd_kafka_consume_stop(handle_.get(), p);
  }

  base::status start(conf_ptr conf, start from, std::chrono::milliseconds timeout) {
    auto created =
        new_client(RD_KAFKA_CONSUMER, std::move(conf), this, &on_error, "kafka reader", "kafka.consumer");
    if (!created) return std::move(created).err();
    rd_kafka_t* rk = *created;
    client_ = client_ref(rk, client_deleter{});
    auto offsets = from == start::beginning ? read_start_offsets(rk, topic_, timeout)
                                            : read_end_offsets(rk, topic_, timeout);
    if (!offsets) return unreachable_or(std::move(offsets).err(), timeout);
    if (offsets->empty()) {
      return base::error::fail(fmt::format(
          "kafka topic \"{}\" does not exist on {}: check its name (kafka.topic, kafka.bad_topic), or wait "
          "for the collector to write to it first (the broker creates it then, unless "
          "auto.create.topics.enable is off: then create it with kafka-topics.sh --create)",
          topic_, brokers_));
    }
    handle_.reset(rd_kafka_topic_new(rk, topic_.c_str(), nullptr));
    queue_.reset(rd_kafka_queue_new(rk));
    if (!handle_ || !queue_) return consumer_error(rd_kafka_last_error(), topic_, "opening");
    for (const auto& [p, offset] : *offsets) {
      if (rd_kafka_consume_start_queue(handle_.get(), p, offset, queue_.get()) != 0) {
        return consumer_error(rd_kafka_last_error(), topic_,
                              fmt::format("starting to read partition {} at offset {}", p, offset));
      }
      starts_.emplace(p, offset);
    }
    return base::ok_v;
  }

  base::result<std::vector<std::unique_ptr<record>>> poll(std::size_t max,
                                                          std::chrono::milliseconds timeout) override {
    std::vector<std::unique_ptr<record>> out;
    rd_kafka_poll(rk(), 0);  // serves the error callback
    if (broken_) return *broken_;
    const auto deadline = base::steady::now() + timeout;
    while (out.size() < max) {
      // Wait only for the first record; after it, take what is already queued.
      const auto wait =
          out.empty() ? std::chrono::ceil<std::chrono::milliseconds>(deadline - base::steady::now()) : 0ms;
      message_ptr m(rd_kafka_consume_queue(queue_.get(), to_ms(wait)));
      if (broken_) return *broken_;
      if (m == nullptr) {
        if (!out.empty() || base::steady::now() >= deadline) break;
        continue;
      }
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (auto s = on_message_error(*m); !s) return std::move(s).err();
        continue;
      }
      out.push_back(std::make_unique<message_record>(std::move(m), client_));
    }
    return out;
  }

  const std::map<std::int32_t, std::int64_t>& starts() const override { return starts_; }

 private:
  rd_kafka_t* rk() const { return client_.get(); }

  // An error while learning the partitions: the brokers did not answer (a wrong address, brokers
  // that are down; librdkafka's log lines above it say which connection failed how), or
  // something an operator must change, which the error names.
  base::error unreachable_or(base::error e, std::chrono::milliseconds timeout) const {
    if (e.what != base::outcome::retry) return e;
    return base::error::retry(fmt::format(
        "kafka brokers {} did not answer about topic \"{}\" within {} s: check that they are up and that "
        "kafka.brokers names them",
        brokers_, topic_, std::chrono::duration_cast<std::chrono::seconds>(timeout).count()));
  }

  base::status on_message_error(const rd_kafka_message_t& m) {
    const rd_kafka_resp_err_t err = m.err;
    if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return base::ok_v;
    if (err == RD_KAFKA_RESP_ERR__FATAL || consumer_outcome(err) == base::outcome::fail) {
      broken_ = err == RD_KAFKA_RESP_ERR__FATAL ? fatal_error() : consumer_error(err, topic_, "consuming");
      broken_->what = base::outcome::fail;
      return *broken_;
    }
    // A topic deleted under the reader comes back on every fetch: say it once.
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && said_missing_) return base::ok_v;
    said_missing_ = said_missing_ || err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    kafka_log().warn(
        "kafka reader error; librdkafka recovers by itself topic={} partition={} code={} reason=\"{}\"",
        topic_, m.partition, rd_kafka_err2name(err), rd_kafka_message_errstr(&m));
    return base::ok_v;
  }

  // Owner thread, inside poll().
  static void on_error(rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto& self = *static_cast<librdkafka_reader*>(opaque);
    const auto code = static_cast<rd_kafka_resp_err_t>(err);
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
      if (!self.broken_) self.broken_ = self.fatal_error();
      return;
    }
    const auto level = code == RD_KAFKA_RESP_ERR__TRANSPORT ? spdlog::level::debug : spdlog::level::warn;
    kafka_log().log(level, "librdkafka reported an error; it keeps retrying topic={} code={} reason=\"{}\"",
                    self.topic_, rd_kafka_err2name(code), reason);
  }

  base::error fatal_error() const { return base::error::fail(fatal_message(rk(), "kafka reader", "read")); }

  const std::string topic_;
  const std::string brokers_;
  client_ref client_;
  topic_ptr handle_;
  queue_ptr queue_;
  std::map<std::int32_t, std::int64_t> starts_;  // the partitions started
  std::optional<base::error> broken_;            // set once; every later poll returns it
  bool said_missing_ = false;
};

}  // namespace

base::result<std::unique_ptr<reader>> reader::open(const reader_options& options, start from,
                                                   std::chrono::milliseconds timeout) {
  if (options.topic.empty()) return base::error::fail("kafka reader needs a topic; set kafka.topic");
  auto conf = make_reader_conf(options);
  if (!conf) return std::move(conf).err();
  auto r = std::make_unique<librdkafka_reader>(options);
  if (auto started = r->start(std::move(conf).value(), from, timeout); !started)
    return std::move(started).err();
  kafka_log().info("kafka reader started brokers={} topic={} partitions={} from={}", options.brokers,
                   options.topic, r->starts().size(), from == start::beginning ? "beginning" : "end");
  return std::unique_ptr<reader>(std::move(r));
}

}  // namespace clicktrail::kafka
