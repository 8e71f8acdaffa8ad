// clicktrail's group consumer over librdkafka's C API.
//
// Threads: the owner thread makes every call, the destructor included. rd_kafka_poll_set_consumer()
// routes librdkafka's main queue to the consumer queue, so the rebalance and error callbacks run
// inside rd_kafka_consumer_poll() — that is, inside poll() or the destructor's
// rd_kafka_consumer_close() — on the owner thread. Only the log callback runs on librdkafka's
// internal threads.
#include "kafka/consumer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "kafka/client.h"
#include "kafka/client_log.h"
#include "kafka/consumer_conf.h"
#include "kafka/consumer_error.h"
#include "kafka/consumer_offsets.h"
#include "kafka/consumer_probe.h"
#include "kafka/consumer_record.h"
#include "kafka/handles.h"
#include "kafka/read_ahead.h"

namespace clicktrail::kafka {
namespace {

using namespace std::chrono_literals;

// How long an assignment may wait for the group's committed offsets. librdkafka retries while the
// coordinator moves; past this the member cannot start safely and poll() reports fail.
constexpr auto committed_fetch_timeout = 30s;
// How long a seek waits for the fetcher to take the new position, and a partition's watermarks
// may take to come back.
constexpr int seek_timeout_ms = 10'000;
constexpr int watermark_timeout_ms = 10'000;
// With read_ahead_bytes, poll() reads at most this many batches' worth of records.
constexpr std::size_t read_ahead_batches = 8;

class librdkafka_consumer final : public consumer {
 public:
  librdkafka_consumer(const consumer_options& options, rebalance_listener& listener, base::registry& metrics)
      : topic_(options.topic),
        group_(options.group_id),
        read_ahead_bytes_(options.read_ahead_bytes),
        listener_(listener),
        probe_(metrics) {}

  librdkafka_consumer(const librdkafka_consumer&) = delete;
  librdkafka_consumer& operator=(const librdkafka_consumer&) = delete;

  base::status start(conf_ptr conf) {
    rd_kafka_conf_set_rebalance_cb(conf.get(), &on_rebalance);
    auto created =
        new_client(RD_KAFKA_CONSUMER, std::move(conf), this, &on_error, "kafka consumer", "kafka.consumer");
    if (!created) return std::move(created).err();
    rd_kafka_t* rk = *created;
    client_ = client_ref(rk, client_deleter{});
    if (const auto err = rd_kafka_poll_set_consumer(rk); err) {
      return consumer_error(err, topic_, "routing events to the consumer queue");
    }
    const partition_list_ptr topics = list_of(topic_, {RD_KAFKA_PARTITION_UA});
    if (const auto err = rd_kafka_subscribe(rk, topics.get()); err) {
      return consumer_error(err, topic_, "subscribing");
    }
    return base::ok_v;
  }

  // Leaves the group. rd_kafka_consumer_close() runs the revoke callback on this thread, so the
  // listener hears on_revoked before this returns; when it could not (no coordinator), the
  // listener is told here. Records still held keep the client alive until they go.
  ~librdkafka_consumer() override {
    if (!client_) return;
    closing_ = true;
    drop_read_ahead(std::nullopt);
    const auto start = base::steady::now();
    if (const auto err = rd_kafka_consumer_close(rk()); err) {
      kafka_log().warn("kafka consumer closed with an error group={} topic={} code={}", group_, topic_,
                       rd_kafka_err2name(err));
    }
    closed_ = true;
    if (!assigned_.empty()) revoke();
    const std::chrono::duration<double, std::milli> took = base::steady::now() - start;
    kafka_log().info("kafka consumer left the group group={} topic={} ms={:.0f}", group_, topic_,
                     took.count());
  }

  base::result<std::vector<std::unique_ptr<record>>> poll(std::size_t max,
                                                          std::chrono::milliseconds timeout) override {
    std::vector<std::unique_ptr<record>> out;
    if (broken_) return *broken_;
    if (max == 0) return out;
    if (auto s = read(max, base::steady::now() + timeout); !s) return std::move(s).err();
    out = ahead_.take(max, client_);
    probe_.consumed(out.size());
    return out;
  }

  base::status commit(std::int32_t partition, std::int64_t offset) override {
    base::status s = commit_once(partition, offset);
    probe_.committed(s);
    return s;
  }

  base::status seek(std::int32_t partition, std::optional<std::int64_t> offset) override {
    if (broken_) return *broken_;
    auto to = offset ? base::result<std::int64_t>(*offset) : first_offset(partition);
    if (!to) return std::move(to).err();
    const partition_list_ptr list = list_of(topic_, {partition});
    list->elems[0].offset = *to;
    // Waits for the fetcher to take the new position, so nothing fetched for the old one follows.
    if (rd_kafka_error_t* e = rd_kafka_seek_partitions(rk(), list.get(), seek_timeout_ms)) {
      const auto err = rd_kafka_error_code(e);
      rd_kafka_error_destroy(e);
      return consumer_error(err, topic_, fmt::format("seeking partition {} to offset {}", partition, *to));
    }
    if (const auto err = list->elems[0].err; err) {
      return consumer_error(err, topic_, fmt::format("seeking partition {} to offset {}", partition, *to));
    }
    start_[partition] = *to;
    drop_read_ahead(partition);
    return base::ok_v;
  }

  base::result<std::map<std::int32_t, std::int64_t>> committed(const std::vector<std::int32_t>& partitions,
                                                               std::chrono::milliseconds timeout) override {
    if (partitions.empty()) return std::map<std::int32_t, std::int64_t>{};
    const partition_list_ptr list = list_of(topic_, partitions);
    return read_committed(rk(), topic_, *list, timeout);
  }

  base::result<std::map<std::int32_t, std::int64_t>> end_offsets(std::chrono::milliseconds timeout) override {
    return read_end_offsets(rk(), topic_, timeout);
  }

  std::optional<std::int64_t> last_seen_end_offset(std::int32_t partition) const override {
    std::int64_t low = 0, high = 0;
    if (rd_kafka_get_watermark_offsets(rk(), topic_.c_str(), partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        high < 0) {
      return std::nullopt;  // RD_KAFKA_OFFSET_INVALID until a fetch answered
    }
    return high;
  }

  const std::string& topic() const override { return topic_; }
  bool topic_missing() const override { return topic_missing_; }

 private:
  rd_kafka_t* rk() const { return client_.get(); }

  base::status commit_once(std::int32_t partition, std::int64_t offset) {
    if (broken_) return *broken_;
    // librdkafka would send it, and the broker checks only the member's generation: a commit for
    // a partition this member no longer owns could move another member's position.
    if (!assigned_.contains(partition)) {
      return base::error::fail(fmt::format(
          "kafka commit of offset {} for {}[{}] refused: the partition is not assigned to this member "
          "(it was revoked, or never assigned); commit only partitions between on_assigned and on_revoked",
          offset, topic_, partition));
    }
    if (offset < 0) {
      return base::error::fail(fmt::format("kafka commit of offset {} for {}[{}] refused: offsets start at 0",
                                           offset, topic_, partition));
    }
    const partition_list_ptr list = list_of(topic_, {partition});
    list->elems[0].offset = offset;
    // Synchronous: returns once the coordinator has answered. With the coordinator unreachable
    // librdkafka holds the commit for up to session.timeout.ms, then fails it (retry).
    rd_kafka_resp_err_t err = rd_kafka_commit(rk(), list.get(), 0);
    if (!err) err = list->elems[0].err;
    if (err) return commit_error(err, topic_, partition, offset);
    return base::ok_v;
  }

  // Takes records from librdkafka's queue into ahead_: waiting until `deadline` for the first
  // when none is held, then what is already queued — up to `max` records, or with
  // read_ahead_bytes_ on until that many bytes (and at most read_ahead_batches × max records).
  base::status read(std::size_t max, base::steady::time_point deadline) {
    const auto wanted = [&] {
      return ahead_.count() < max ||
             (ahead_.bytes() < read_ahead_bytes_ && ahead_.count() < read_ahead_batches * max);
    };
    while (wanted()) {
      const auto wait = ahead_.count() == 0
                            ? std::chrono::ceil<std::chrono::milliseconds>(deadline - base::steady::now())
                            : 0ms;
      // A rebalance inside this call drops what was read ahead (on_rebalance).
      message_ptr m(rd_kafka_consumer_poll(rk(), to_ms(wait)));
      if (broken_) return *broken_;
      if (m == nullptr) {
        if (ahead_.count() > 0 || base::steady::now() >= deadline) break;
        continue;
      }
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (auto s = on_message_error(*m); !s) return s;
        continue;
      }
      ahead_.hold(std::move(m));
    }
    return base::ok_v;
  }

  // Records read ahead of `partition` (of every partition: nullopt) are not handed out: a
  // rebalance gave them to whoever owns the partition now, or a seek moved its position.
  void drop_read_ahead(std::optional<std::int32_t> partition) {
    probe_.read_ahead_dropped(ahead_.drop(partition));
  }

  // Owner thread, inside poll() or the destructor.
  static void on_rebalance(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                           void* opaque) {
    auto& self = *static_cast<librdkafka_consumer*>(opaque);
    // Records read before it belong to the old assignment; whoever owns their partitions now
    // reads them again from the committed offset, and the listener must not see them after
    // on_revoked.
    self.drop_read_ahead(std::nullopt);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self.assign(*partitions);
    } else {
      if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        kafka_log().error("kafka consumer rebalance failed; dropping the assignment group={} code={}",
                          self.group_, rd_kafka_err2name(err));
      }
      self.revoke();
    }
  }

  // Committed offsets first, then the listener, then consumption from those offsets: the
  // listener recovers (removes leftovers of an uncommitted run) before any record arrives.
  void assign(rd_kafka_topic_partition_list_t& partitions) {
    if (closing_ || broken_) {
      set_assignment(nullptr);
      return;
    }
    auto found = read_committed(rk(), topic_, partitions, committed_fetch_timeout);
    if (!found) {
      note_broken(base::error::fail(fmt::format(
          "kafka consumer could not start its new partitions: {}; this member consumes nothing until it "
          "is recreated",
          found.err().message)));
      set_assignment(nullptr);
      return;
    }
    std::map<std::int32_t, std::optional<std::int64_t>> committed;
    for (int i = 0; i < partitions.cnt; ++i) {
      rd_kafka_topic_partition_t& tp = partitions.elems[i];
      const auto it = found->find(tp.partition);
      committed[tp.partition] = it == found->end() ? std::nullopt : std::optional(it->second);
      tp.offset = it == found->end() ? RD_KAFKA_OFFSET_INVALID : it->second;
    }
    kafka_log().info("kafka consumer was assigned partitions group={} topic={} committed={}", group_, topic_,
                     describe(committed));
    std::map<std::int32_t, std::int64_t> starts;
    if (!notify("on_assigned", [&] { starts = listener_.on_assigned(committed); })) {
      set_assignment(nullptr);
      return;
    }
    for (int i = 0; i < partitions.cnt; ++i) {
      rd_kafka_topic_partition_t& tp = partitions.elems[i];
      if (const auto it = starts.find(tp.partition); it != starts.end()) tp.offset = it->second;
      // Never a logical start (BEGINNING): librdkafka looks those up asynchronously, and a lookup
      // still pending when the partition is revoked and assigned again at an offset rewinds it
      // to the start when it answers, handing out records the owner has.
      if (tp.offset < 0) {
        auto first = first_offset(tp.partition);
        if (!first) {
          note_broken(std::move(first).err());
          set_assignment(nullptr);
          return;
        }
        tp.offset = *first;
      }
      start_[tp.partition] = tp.offset;
    }
    topic_missing_ = false;
    for (const auto& [p, offset] : committed) assigned_.insert(p);
    probe_.assigned(static_cast<std::int64_t>(committed.size()));
    // On failure the listener believes it owns them: take them back the way a rebalance would.
    if (!set_assignment(&partitions)) revoke();
  }

  // Eager protocol: the whole assignment goes. Also when it was lost (the session expired):
  // then another member may already own the partitions and commits fail.
  void revoke() {
    const std::vector<std::int32_t> partitions(assigned_.begin(), assigned_.end());
    const bool lost = !closing_ && rd_kafka_assignment_lost(rk());
    if (!partitions.empty()) {
      (lost ? kafka_log().warn("kafka consumer lost its partitions; another member may own them already "
                               "group={} topic={} partitions={}",
                               group_, topic_, fmt::join(partitions, ","))
            : kafka_log().info("kafka consumer partitions revoked group={} topic={} partitions={}", group_,
                               topic_, fmt::join(partitions, ",")));
      (void)notify("on_revoked", [&] { listener_.on_revoked(partitions); });
    }
    if (!closed_) (void)set_assignment(nullptr);
    assigned_.clear();
    start_.clear();
    probe_.revoked(static_cast<std::int64_t>(partitions.size()));
  }

  bool set_assignment(const rd_kafka_topic_partition_list_t* partitions) {
    const auto err = rd_kafka_assign(rk(), partitions);
    if (err && !closing_) {
      note_broken(
          consumer_error(err, topic_, partitions ? "assigning partitions" : "dropping the assignment"));
    }
    return !err;
  }

  // The listener runs inside librdkafka's C stack: an exception must stop here.
  template <class F>
  bool notify(const char* what, F&& call) {
    try {
      call();
      return true;
    } catch (const std::exception& e) {
      note_broken(base::error::fail(fmt::format(
          "kafka consumer's rebalance listener threw from {}: {}; recreate the consumer", what, e.what())));
    } catch (...) {
      note_broken(base::error::fail(fmt::format(
          "kafka consumer's rebalance listener threw a non-standard exception from {}; recreate the "
          "consumer",
          what)));
    }
    return false;
  }

  // The partition's first record still kept (its low watermark), asked of its leader. A leader
  // that moved (a broker restarting) answers NOT_LEADER until the metadata catches up: such
  // transient errors are asked again for a few seconds — not longer, since this runs inside the
  // rebalance callback, which holds up the group's poll.
  base::result<std::int64_t> first_offset(std::int32_t partition) {
    const auto give_up_at = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    auto pause = std::chrono::milliseconds(100);
    for (;;) {
      std::int64_t low = 0, high = 0;
      const auto err = rd_kafka_query_watermark_offsets(rk(), topic_.c_str(), partition, &low, &high,
                                                        watermark_timeout_ms);
      if (!err) return low;
      auto failed =
          consumer_error(err, topic_, fmt::format("looking up where partition {} starts", partition));
      if (!failed.retriable() || std::chrono::steady_clock::now() + pause > give_up_at) return failed;
      std::this_thread::sleep_for(pause);
      pause = std::min<std::chrono::milliseconds>(2 * pause, std::chrono::seconds(1));
    }
  }

  // Starts fetching `partition` again at `offset` after an offset error stopped it (a seek cannot
  // move a partition that is not fetching): the same assignment is made again, every other
  // partition at its position — the record after the last one read (what is read ahead of them
  // stays), or where it started.
  base::status restart(std::int32_t partition, std::int64_t offset) {
    rd_kafka_topic_partition_list_t* raw = nullptr;
    if (const auto err = rd_kafka_assignment(rk(), &raw); err) {
      return consumer_error(err, topic_, fmt::format("restarting partition {}", partition));
    }
    const partition_list_ptr current(raw);
    if (const auto err = rd_kafka_position(rk(), current.get()); err) {
      return consumer_error(err, topic_, fmt::format("restarting partition {}", partition));
    }
    // What is read ahead of `partition` stays: it was fetched before the error, below the
    // offset that failed, and comes before `offset`.
    start_[partition] = offset;
    for (int i = 0; i < current->cnt; ++i) {
      rd_kafka_topic_partition_t& tp = current->elems[i];
      if (tp.partition == partition) {
        tp.offset = offset;
      } else if (tp.offset < 0) {
        const auto it = start_.find(tp.partition);
        tp.offset = it == start_.end() ? RD_KAFKA_OFFSET_INVALID : it->second;
      }
    }
    if (const auto err = rd_kafka_assign(rk(), current.get()); err) {
      return consumer_error(err, topic_,
                            fmt::format("restarting partition {} at offset {}", partition, offset));
    }
    return base::ok_v;
  }

  // auto.offset.reset=error: the offset to read from is not in the partition any more.
  base::status on_offset_out_of_range(const rd_kafka_message_t& m) {
    std::int64_t low = 0, high = 0;
    if (const auto err = rd_kafka_query_watermark_offsets(rk(), topic_.c_str(), m.partition, &low, &high,
                                                          watermark_timeout_ms);
        err) {
      return consumer_error(err, topic_, fmt::format("looking up the offsets of partition {}", m.partition));
    }
    if (m.offset >= 0 && m.offset < low) {
      // Retention (or DeleteRecords) removed records before this group read them: they are gone
      // from Kafka, and were never written out. Reading goes on from what is left, loudly.
      kafka_log().error(
          "kafka records were deleted before this consumer read them; going on from the partition's first "
          "record group={} topic={} partition={} lost_offsets={}..{}",
          group_, topic_, m.partition, m.offset, low - 1);
      probe_.lost(static_cast<std::uint64_t>(low - m.offset));
      return restart(m.partition, low);
    }
    note_broken(
        base::error::fail(fmt::format("kafka partition {}[{}] ends at offset {}, but this consumer was to "
                                      "read it from offset {}: the topic was "
                                      "deleted and created again, or its log was cut back (an unclean leader "
                                      "election). Nothing past offset {} "
                                      "was read; start again, and the sink says what to do",
                                      topic_, m.partition, high, m.offset, high)));
    return *broken_;
  }

  // A record-level error: most are librdkafka telling us what it recovers from by itself.
  base::status on_message_error(const rd_kafka_message_t& m) {
    const rd_kafka_resp_err_t err = m.err;
    if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return base::ok_v;
    if (err == RD_KAFKA_RESP_ERR__FATAL || consumer_outcome(err) == base::outcome::fail) {
      note_broken(err == RD_KAFKA_RESP_ERR__FATAL ? fatal_error() : consumer_error(err, topic_, "consuming"));
      return *broken_;
    }
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      topic_missing_ = true;
      // Normal for the bad topic until the collector first rejects something.
      kafka_log().info("kafka topic does not exist yet; reading starts once it is created group={} topic={}",
                       group_, topic_);
      return base::ok_v;
    }
    if (err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) return on_offset_out_of_range(m);
    kafka_log().warn(
        "kafka consumer error; librdkafka recovers by itself group={} topic={} partition={} code={} "
        "reason=\"{}\"",
        group_, topic_, m.partition, rd_kafka_err2name(err), rd_kafka_message_errstr(&m));
    return base::ok_v;
  }

  // Owner thread, inside poll() or the destructor. A fatal error ends this consumer's life;
  // the rest are librdkafka reporting what it retries.
  static void on_error(rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto& self = *static_cast<librdkafka_consumer*>(opaque);
    const auto code = static_cast<rd_kafka_resp_err_t>(err);
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
      self.note_broken(self.fatal_error());
      return;
    }
    const auto level = code == RD_KAFKA_RESP_ERR__TRANSPORT ? spdlog::level::debug : spdlog::level::warn;
    kafka_log().log(level, "librdkafka reported an error; it keeps retrying group={} code={} reason=\"{}\"",
                    self.group_, rd_kafka_err2name(code), reason);
  }

  base::error fatal_error() const {
    return base::error::fail(fatal_message(rk(), "kafka consumer", "consume"));
  }

  void note_broken(base::error e) {
    if (broken_) return;
    e.what = base::outcome::fail;
    kafka_log().critical("{} group={} topic={}", e.message, group_, topic_);
    broken_ = std::move(e);
  }

  static std::string describe(const std::map<std::int32_t, std::optional<std::int64_t>>& committed) {
    std::string s;
    for (const auto& [p, offset] : committed) {
      if (!s.empty()) s += ',';
      s += offset ? fmt::format("{}@{}", p, *offset) : fmt::format("{}@none", p);
    }
    return s;
  }

  const std::string topic_;
  const std::string group_;
  const std::int64_t read_ahead_bytes_;
  rebalance_listener& listener_;
  consumer_probe probe_;
  client_ref client_;
  std::set<std::int32_t> assigned_;             // what the listener has been told it owns
  std::map<std::int32_t, std::int64_t> start_;  // where each assigned partition started or was sought
  read_ahead ahead_;                            // taken from librdkafka's queue, not yet handed out
  bool closing_ = false;                        // inside the destructor
  bool closed_ = false;                         // rd_kafka_consumer_close() has returned
  std::optional<base::error> broken_;           // set once; every later call returns it
  std::atomic<bool> topic_missing_{false};      // read by other threads (topic_missing())
};

}  // namespace

base::result<std::unique_ptr<consumer>> consumer::create(const consumer_options& options,
                                                         rebalance_listener& listener,
                                                         base::registry& metrics) {
  auto conf = make_consumer_conf(options);
  if (!conf) return std::move(conf).err();
  auto c = std::make_unique<librdkafka_consumer>(options, listener, metrics);
  if (auto started = c->start(std::move(conf).value()); !started) return std::move(started).err();
  kafka_log().info("kafka consumer started brokers={} group={} topic={}", options.brokers, options.group_id,
                   options.topic);
  return std::unique_ptr<consumer>(std::move(c));
}

}  // namespace clicktrail::kafka
