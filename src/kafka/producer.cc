// clicktrail's producer over librdkafka's C API.
//
// Threads: produce(), flush(), reachable() and queued() are called from request threads; the
// producer's own poll thread (poller_) serves librdkafka's main queue, so delivery reports and
// error callbacks run there, or, with reports_on_event_loop, whichever thread calls
// serve_reports() (and flush()); the log callback runs on librdkafka's internal threads.
#include "kafka/producer.h"

#include <fmt/format.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "base/clock.h"
#include "kafka/client.h"
#include "kafka/client_log.h"
#include "kafka/delivery_error.h"
#include "kafka/handles.h"
#include "kafka/probe.h"
#include "kafka/producer_conf.h"

namespace clicktrail::kafka {
namespace {

using namespace std::chrono_literals;

// One produce() call's records in flight: each record's message opaque points here, and the
// report of the last one (or produce() itself, when it could not queue them all) completes the
// call and deletes it.
struct delivery {
  delivery_fn done;
  base::steady::time_point start;
  rd_kafka_topic_t* topic = nullptr;
  std::atomic<std::size_t> left;  // records whose report has not come
  std::atomic<int> first_error{RD_KAFKA_RESP_ERR_NO_ERROR};
};

// How long the destructor waits for the delivery reports of purged records, which librdkafka
// queues at once; only a bug would need this long.
constexpr auto purge_grace = 5s;

class librdkafka_producer final : public producer {
 public:
  librdkafka_producer(const producer_options& options, base::registry& metrics)
      : probe_(metrics),
        delivery_timeout_(options.delivery_timeout),
        on_event_loop_(options.reports_on_event_loop) {}

  librdkafka_producer(const librdkafka_producer&) = delete;
  librdkafka_producer& operator=(const librdkafka_producer&) = delete;

  // Creates the client and starts the poll thread, or has librdkafka signal an eventfd for the
  // event loop. Called once, before the producer is shared.
  base::status start(conf_ptr conf) {
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &on_delivery);
    auto created =
        new_client(RD_KAFKA_PRODUCER, std::move(conf), this, &on_error, "kafka producer", "kafka.producer");
    if (!created) return std::move(created).err();
    rk_.reset(*created);
    probe_.watch_queue(rk_.get());
    if (on_event_loop_) {
      reports_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      if (reports_fd_ < 0) {
        return base::error::fail(
            fmt::format("cannot create an eventfd for Kafka's delivery reports: {}", std::strerror(errno)));
      }
      // Written whenever a report lands in the empty main queue; eventfd takes 8-byte counts.
      static constexpr std::uint64_t one = 1;
      main_queue_.reset(rd_kafka_queue_get_main(rk_.get()));
      rd_kafka_queue_io_event_enable(main_queue_.get(), reports_fd_, &one, sizeof one);
      return base::ok_v;
    }
    poller_ = std::jthread([this](const std::stop_token& stop) {
      while (!stop.stop_requested()) rd_kafka_poll(rk_.get(), 100);
    });
    return base::ok_v;
  }

  int report_descriptor() const override { return reports_fd_; }

  void serve_reports() override {
    std::uint64_t count = 0;
    // Read first, then poll until the queue is empty: a report that lands after the last poll
    // finds the queue empty and writes the descriptor again.
    while (::read(reports_fd_, &count, sizeof count) > 0) {
    }
    while (rd_kafka_poll(rk_.get(), 0) > 0) {
    }
  }

  // Flush up to the delivery timeout; then purge what is left so its callbacks run (retry) on
  // the poll thread (with reports on the event loop: on this one, in flush); only then stop that
  // thread and destroy the client.
  ~librdkafka_producer() override {
    if (!rk_) return;
    if (auto flushed = flush(delivery_timeout_); !flushed) {
      kafka_log().warn(
          "kafka producer is closing with undelivered records; failing them with retry in_flight={}",
          pending_.load());
      // Purging in-flight records forgets their acknowledgements: a client that retries them
      // may write a record twice (the event_id identifies duplicates).
      rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      (void)flush(purge_grace);
    }
    if (poller_.joinable()) {
      poller_.request_stop();
      rd_kafka_yield(rk_.get());  // end the poll thread's current 100 ms wait now
      poller_.join();
    }
    // Backstop on this thread: anything librdkafka reported after the poll thread stopped.
    for (const auto deadline = base::steady::now() + purge_grace;
         pending_.load() > 0 && base::steady::now() < deadline;) {
      rd_kafka_poll(rk_.get(), 10);
    }
    if (const auto left = pending_.load(); left > 0) {
      kafka_log().error("kafka producer closed with delivery callbacks that never ran in_flight={}", left);
    }
    probe_.watch_queue(nullptr);
    topics_.clear();  // topic handles before their client
    if (main_queue_) {
      rd_kafka_queue_io_event_enable(main_queue_.get(), -1, nullptr, 0);
      main_queue_.reset();
    }
    rk_.reset();
    if (reports_fd_ >= 0) ::close(reports_fd_);
  }

  void produce(std::string_view topic, std::span<const outgoing> records, const std::vector<header>& headers,
               delivery_fn done) override {
    if (records.empty()) return complete(done, base::ok_v, 0);
    if (fatal_.load(std::memory_order_acquire)) {
      return complete(done, base::error::fail(fatal_message()), records.size());
    }
    rd_kafka_topic_t* rkt = topic_for(topic);
    if (rkt == nullptr) {
      return complete(
          done,
          base::error::fail(fmt::format("kafka topic \"{}\" could not be opened: {}; check the topic name",
                                        topic, rd_kafka_err2str(rd_kafka_last_error()))),
          records.size());
    }
    auto* d = new delivery{std::move(done), base::steady::now(), rkt, {records.size()}, {}};
    // Counted before the calls: the poll thread may report deliveries before produceva returns.
    pending_.fetch_add(static_cast<std::int64_t>(records.size()), std::memory_order_relaxed);
    for (std::size_t i = 0; i < records.size(); ++i) {
      const rd_kafka_resp_err_t refused = produce_one(rkt, records[i], headers, d);
      if (refused == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      // Queue full, or fatal: this record and the rest are not sent; those already queued still
      // report, and the last of all completes the call.
      if (refused == RD_KAFKA_RESP_ERR__FATAL) note_fatal();
      probe_.finished(error_for(refused, topic), records.size() - i);
      note_error(*d, refused);
      settle_records(*d, records.size() - i);
      return;
    }
  }

  base::status flush(std::chrono::milliseconds timeout) override {
    if (std::this_thread::get_id() == poller_.get_id()) {
      return base::error::fail(
          "kafka producer flush() was called from a delivery callback and would wait for "
          "itself; hand the work to another thread");
    }
    if (on_event_loop_) {
      // Nobody else may be serving the reports now (the event loop may have stopped): this thread
      // serves them while it waits.
      for (const auto deadline = base::steady::now() + timeout;
           pending_.load(std::memory_order_acquire) > 0 && base::steady::now() < deadline;) {
        rd_kafka_poll(rk_.get(), 10);
      }
      if (pending_.load(std::memory_order_acquire) == 0) return base::ok_v;
    } else {
      std::unique_lock lock(drain_mutex_);
      if (drained_.wait_for(lock, timeout,
                            [this] { return pending_.load(std::memory_order_acquire) == 0; })) {
        return base::ok_v;
      }
    }
    return base::error::retry(fmt::format(
        "kafka producer still has {} records undelivered after {} ms; check that kafka.brokers are reachable",
        pending_.load(), timeout.count()));
  }

  // False after a fatal error too: /readyz should steer traffic away from a producer that can
  // no longer deliver.
  // librdkafka queries a topic's leader as soon as its handle exists.
  void prepare(std::string_view topic) override { (void)topic_for(topic); }

  bool reachable(std::chrono::milliseconds timeout) override {
    if (fatal_.load(std::memory_order_acquire)) return false;
    const rd_kafka_metadata_t* raw = nullptr;
    const auto err = rd_kafka_metadata(rk_.get(), 0, nullptr, &raw, static_cast<int>(timeout.count()));
    const metadata_ptr owned(raw);
    return err == RD_KAFKA_RESP_ERR_NO_ERROR;
  }

  // Our own count, not rd_kafka_outq_len(): that one also counts protocol requests in flight.
  std::int64_t queued() const override { return pending_.load(std::memory_order_relaxed); }

 private:
  // Poll thread: one delivery report per record that produceva() accepted.
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto& self = *static_cast<librdkafka_producer*>(opaque);
    auto& d = *static_cast<delivery*>(m->_private);
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      self.probe_.finished(base::ok_v);
    } else {
      self.probe_.finished(self.error_for(m->err, rd_kafka_topic_name(m->rkt)));
      note_error(d, m->err);
    }
    self.settle_records(d, 1);
  }

  // One record's tagged arguments for librdkafka; the error code when it refused the record.
  rd_kafka_resp_err_t produce_one(rd_kafka_topic_t* rkt, const outgoing& r,
                                  const std::vector<header>& headers, delivery* d) {
    // On the stack unless there are many headers.
    const size_t count = 6 + headers.size();
    std::array<rd_kafka_vu_t, 16> on_stack;
    std::vector<rd_kafka_vu_t> on_heap;
    if (count > on_stack.size()) on_heap.resize(count);
    rd_kafka_vu_t* vus = on_heap.empty() ? on_stack.data() : on_heap.data();
    size_t n = 0;
    vus[n].vtype = RD_KAFKA_VTYPE_RKT;
    vus[n++].u.rkt = rkt;
    // An empty key goes out as no key: librdkafka hashes an empty key to one fixed partition,
    // a missing one spreads. RD_KAFKA_MSG_F_COPY: librdkafka copies, so const_cast is safe.
    if (!r.key.empty()) {
      vus[n].vtype = RD_KAFKA_VTYPE_KEY;
      vus[n++].u.mem = {const_cast<char*>(r.key.data()), r.key.size()};
    }
    vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
    vus[n++].u.mem = {const_cast<char*>(r.value.data()), r.value.size()};
    vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vus[n++].u.i = RD_KAFKA_MSG_F_COPY;
    vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vus[n++].u.ptr = d;
    if (r.timestamp_ms != 0) {  // and librdkafka reads no clock for it
      vus[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
      vus[n++].u.i64 = r.timestamp_ms;
    }
    for (const header& h : headers) {
      vus[n].vtype = RD_KAFKA_VTYPE_HEADER;  // librdkafka copies name and value
      vus[n++].u.header = {h.name.c_str(), h.value.data(), static_cast<ssize_t>(h.value.size())};
    }
    const error_ptr refused(rd_kafka_produceva(rk_.get(), vus, n));
    return refused ? rd_kafka_error_code(refused.get()) : RD_KAFKA_RESP_ERR_NO_ERROR;
  }

  // The first error of a call's records is the one its callback reports.
  static void note_error(delivery& d, rd_kafka_resp_err_t code) {
    int none = RD_KAFKA_RESP_ERR_NO_ERROR;
    d.first_error.compare_exchange_strong(none, code, std::memory_order_acq_rel);
  }

  // `n` records of `d` are done (reported, or never queued); the last completes the call.
  void settle_records(delivery& d, std::size_t n) {
    const bool last = d.left.fetch_sub(n, std::memory_order_acq_rel) == n;
    if (last) {
      const std::unique_ptr<delivery> owned(&d);
      const std::chrono::duration<double> took = base::steady::now() - d.start;
      probe_.latency().observe(took.count());
      const auto code = static_cast<rd_kafka_resp_err_t>(d.first_error.load(std::memory_order_acquire));
      base::status s = code == RD_KAFKA_RESP_ERR_NO_ERROR
                           ? base::status(base::ok_v)
                           : base::status(error_for(code, rd_kafka_topic_name(d.topic)));
      complete(d.done, std::move(s), 0);
    }
    settle(static_cast<std::int64_t>(n));
  }

  // Poll thread. Most errors are informational (librdkafka recovers by itself); a fatal one
  // ends this producer's life.
  static void on_error(rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto& self = *static_cast<librdkafka_producer*>(opaque);
    const auto code = static_cast<rd_kafka_resp_err_t>(err);
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
      self.note_fatal();
      return;
    }
    // A failed connection is logged by librdkafka itself (facility FAIL): keep one line of it.
    const auto level = code == RD_KAFKA_RESP_ERR__TRANSPORT ? spdlog::level::debug : spdlog::level::warn;
    kafka_log().log(level, "librdkafka reported an error; it keeps retrying code={} reason=\"{}\"",
                    rd_kafka_err2name(code), reason);
  }

  void note_fatal() {
    if (fatal_.exchange(true, std::memory_order_acq_rel)) return;
    kafka_log().critical("{}", fatal_message());
  }

  std::string fatal_message() const { return kafka::fatal_message(rk_.get(), "kafka producer", "produce"); }

  base::error error_for(rd_kafka_resp_err_t code, std::string_view topic) const {
    if (code == RD_KAFKA_RESP_ERR__FATAL || fatal_.load(std::memory_order_acquire)) {
      return base::error::fail(fatal_message());
    }
    return delivery_error(code, topic);
  }

  // Runs the caller's callback exactly once, counting `records` records by its outcome (0 when
  // they were counted one by one). The callback must not throw: it runs inside librdkafka's C
  // stack on the poll thread.
  void complete(const delivery_fn& done, base::status s, std::size_t records) {
    if (records > 0) probe_.finished(s, records);
    if (done) done(std::move(s));
  }

  // `n` records fewer in flight; wakes flush() when none is left.
  void settle(std::int64_t n) {
    if (pending_.fetch_sub(n, std::memory_order_acq_rel) == n) {
      const std::lock_guard lock(drain_mutex_);
      drained_.notify_all();
    }
  }

  // A cached handle per topic: without one, librdkafka looks the topic up under its client-wide
  // write lock on every record. The map only grows by the few topics the pipeline writes.
  rd_kafka_topic_t* topic_for(std::string_view name) {
    {
      const std::shared_lock lock(topics_mutex_);
      if (auto it = topics_.find(name); it != topics_.end()) return it->second.get();
    }
    const std::unique_lock lock(topics_mutex_);
    auto [it, inserted] = topics_.try_emplace(std::string(name));
    if (inserted) it->second.reset(rd_kafka_topic_new(rk_.get(), it->first.c_str(), nullptr));
    rd_kafka_topic_t* rkt = it->second.get();
    if (rkt == nullptr) topics_.erase(it);
    return rkt;
  }

  producer_probe probe_;
  const std::chrono::milliseconds delivery_timeout_;
  client_ptr rk_;
  std::shared_mutex topics_mutex_;
  std::map<std::string, topic_ptr, std::less<>> topics_;
  std::atomic<bool> fatal_{false};
  std::atomic<std::int64_t> pending_{0};  // records accepted whose callback has not run yet
  std::mutex drain_mutex_;
  std::condition_variable drained_;
  const bool on_event_loop_;
  int reports_fd_ = -1;  // with on_event_loop_: written by librdkafka when reports wait
  queue_ptr main_queue_;
  std::jthread poller_;  // without on_event_loop_
};

}  // namespace

base::result<std::unique_ptr<producer>> producer::create(const producer_options& options,
                                                         base::registry& metrics) {
  auto conf = make_producer_conf(options);
  if (!conf) return std::move(conf).err();
  auto p = std::make_unique<librdkafka_producer>(options, metrics);
  if (auto started = p->start(std::move(conf).value()); !started) return std::move(started).err();
  kafka_log().info("kafka producer started brokers={} compression={} linger_ms={} delivery_timeout_ms={}",
                   options.brokers, options.compression, options.linger.count(),
                   options.delivery_timeout.count());
  return std::unique_ptr<producer>(std::move(p));
}

}  // namespace clicktrail::kafka
