#pragma once
// The collector's HTTP/1.1 server: Boost.Beast's parser over Boost.Asio sockets, keep-alive,
// limits on header and body size, and a read deadline so slow clients cannot hold a connection.
//
// Threads: N workers, each with an io_context of its own that only it runs. A connection lives on
// one worker, so its handlers never run at once and need no strand; an answer that comes from
// another thread (a delivery report) is posted to its worker. Deadlines are checked by a sweep of
// each worker's connections a few times per timeout rather than by a timer per read and write.
//
// Lifetime: construct, add routes to the router before start(), start() once, stop() once (also
// done by the destructor). start() and stop() are called from the owning (main) thread; handlers
// run on server threads.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/metrics.h"
#include "http/router.h"

namespace clicktrail::http {

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: pick a free port; local_port() tells which
  int threads = 1;
  std::uint64_t max_header_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 1024 * 1024;      // as sent on the wire (before any gunzip)
  std::chrono::milliseconds read_timeout{10'000};  // whole request, headers and body
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive wait for the next request
  std::int64_t max_connections = 10'000;           // beyond it, new connections are closed at once
};

class server {
 public:
  server(server_options options, router routes, base::registry& metrics);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and starts serving. Throws std::runtime_error naming the address when it cannot bind.
  void start();
  std::uint16_t local_port() const noexcept { return port_; }

  // Stops accepting, lets requests in flight finish (up to `drain`), then stops the threads.
  void stop(std::chrono::milliseconds drain = std::chrono::seconds(10));

  std::int64_t in_flight() const noexcept;

  // Runs `ready` on the first worker's thread whenever `fd` becomes readable, until stop(): for a
  // library that signals its completions on a descriptor (the Kafka producer's delivery reports),
  // so that they are served by a thread that answers requests, with no thread of their own.
  // `ready` must leave `fd` unreadable (read it). The server watches a duplicate of `fd`. Call
  // before start().
  void serve_when_readable(int fd, std::function<void()> ready);

  struct state;  // shared with sessions; defined in server.cc

 private:
  server_options options_;
  std::unique_ptr<state> state_;  // destroyed last: its io_context owns the sessions
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
};

}  // namespace clicktrail::http
