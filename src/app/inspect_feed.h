#pragma once
// The data behind /inspect: taps ingest's event log (a decorator), and streams to each open
// /inspect/stream connection, as Server-Sent Events,
//
//   event: events   data: [<stored event>, …]        accepted events once durable, every 100 ms
//   event: stats    data: {"ts", "accepted_total", "rejected_total": {reason: n}, "events_per_s"}
//
// (stats once a second, with a keep-alive comment). A live view, not a log: when events arrive
// faster than a browser can show them, each tick sends the newest `max_per_tick`. At most
// `max_streams` streams at once, each closed after `stream_timeout` (the page connects again):
// forgotten tabs and idle clients cannot take every place, and a client that stops reading is
// dropped by the server's queue limit.
//
// Thread-safety: append() from request threads; subscribe() from the server; one thread of its
// own writes to the subscribers.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/message.h"
#include "ingest/event_log.h"

namespace clicktrail::app {

class inspect_feed : public ingest::event_log {
 public:
  inspect_feed(ingest::event_log& inner, std::size_t max_streams, std::chrono::milliseconds stream_timeout);
  ~inspect_feed() override;  // stops the thread and lets every stream go

  void append(ingest::stream to, std::span<const ingest::record_ref> records,
              ingest::durable_fn done) override;
  bool ready(std::chrono::milliseconds timeout) override { return inner_.ready(timeout); }
  void settle() override { inner_.settle(); }

  // Whether another stream may open now (the route answers 503 when not).
  bool has_room() const;
  // Adds a stream (one over the limit is closed at once).
  void subscribe(std::shared_ptr<http::stream_writer> writer);
  void close();

 private:
  static constexpr std::size_t max_per_tick = 100;

  void noted(ingest::stream to, const std::vector<std::string>& values, std::size_t count);
  void run();

  struct subscriber {
    std::shared_ptr<http::stream_writer> writer;
    std::chrono::steady_clock::time_point until;  // closed then
  };

  ingest::event_log& inner_;
  const std::size_t max_streams_;
  const std::chrono::milliseconds stream_timeout_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::deque<std::string> recent_;  // accepted events not yet sent
  std::vector<subscriber> subscribers_;
  std::atomic<bool> watched_{false};  // any subscriber: only then are events copied
  std::int64_t accepted_ = 0;
  std::map<std::string, std::int64_t, std::less<>> rejected_;
  std::thread thread_;
};

}  // namespace clicktrail::app
