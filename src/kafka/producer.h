#pragma once
// An idempotent Kafka producer over librdkafka (acks=all, enable.idempotence=true), owning one
// rd_kafka_t and the thread that serves its delivery reports.
//
// Lifetime: created once at start-up and shared by every request thread; produce() is
// thread-safe. Delivery callbacks run on the producer's own poll thread, or on the event loop
// that serves them (producer_options::reports_on_event_loop), and must be quick (hand the result
// over, do not block). Destroying the producer flushes what is queued (bounded by
// the delivery timeout) and then fails what is left with outcome::retry, so every callback runs
// exactly once. A produce() call's records share one callback: a request's events cost one
// completion, not one per event.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/metrics.h"
#include "base/record_ref.h"
#include "base/result.h"

namespace clicktrail::kafka {

using property_list = std::vector<std::pair<std::string, std::string>>;

struct producer_options {
  std::string brokers;  // bootstrap.servers
  // Upper bound from produce() to the delivery callback (message.timeout.ms, about; librdkafka
  // enforces it loosely). The ingest pipeline keeps the request's own deadline.
  std::chrono::milliseconds delivery_timeout{5000};
  std::string compression = "lz4";  // lz4 | zstd | none
  std::chrono::milliseconds linger{2};
  property_list extra;  // raw librdkafka properties, applied last (SASL, TLS, tuning)
  // Who runs the delivery callbacks: the producer's own thread (false), or an event loop that
  // watches report_descriptor() and calls serve_reports() (true: the HTTP collector, whose
  // answers then go out from the thread that got the report, without a hand-off between threads).
  bool reports_on_event_loop = false;
};

struct header {
  std::string name;
  std::string value;
};

// Called once per produce() call, after every record of it: ok when all were delivered, else the
// first error, whose outcome is retry (timeout, broker unreachable, queue full) or fail (the
// record can never be delivered, e.g. too large, or topic not allowed).
using delivery_fn = std::function<void(base::status)>;

// One record to produce: its key and value, which produce() copies.
using outgoing = base::record_ref;

class producer {
 public:
  // Fails (outcome::fail) with a message naming the property when librdkafka refuses the
  // configuration, e.g. an unknown name in `extra`.
  static base::result<std::unique_ptr<producer>> create(const producer_options& options,
                                                        base::registry& metrics);

  virtual ~producer() = default;

  // Queues `records`, each with `headers`. Copies them; calls `done` exactly once, after the
  // last record's delivery report, possibly before produce() returns (e.g. queue full).
  virtual void produce(std::string_view topic, std::span<const outgoing> records,
                       const std::vector<header>& headers, delivery_fn done) = 0;
  void produce(std::string_view topic, std::string_view key, std::string_view value,
               const std::vector<header>& headers, delivery_fn done) {
    const outgoing one{key, value};
    produce(topic, std::span<const outgoing>(&one, 1), headers, std::move(done));
  }

  // With reports_on_event_loop: a descriptor that becomes readable when delivery reports are
  // waiting (-1 otherwise), and what runs their callbacks, on the calling thread, until none is
  // left. Call it whenever the descriptor is readable; it reads the descriptor itself.
  virtual int report_descriptor() const = 0;
  virtual void serve_reports() = 0;

  // Asks for `topic`'s metadata now, without waiting, so that its leader is usually known when
  // the first record comes (what a Lambda cold start waits for otherwise).
  virtual void prepare(std::string_view topic) = 0;

  // Waits until everything queued has been delivered or failed, up to `timeout`; retry error if
  // records remain.
  virtual base::status flush(std::chrono::milliseconds timeout) = 0;

  // True when the cluster answered a metadata request within `timeout` (for /readyz).
  virtual bool reachable(std::chrono::milliseconds timeout) = 0;

  // Records queued and not yet delivered or failed.
  virtual std::int64_t queued() const = 0;
};

}  // namespace clicktrail::kafka
