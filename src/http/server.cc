#include "http/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <stdexcept>

#include "base/log.h"
#include "http/probe.h"
#include "http/request_body.h"
#include "http/wire.h"
#include "ingest/body.h"
#include "ingest/responses.h"

namespace clicktrail::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

// Concrete executor types throughout: Asio's polymorphic any_io_executor costs a virtual call and
// a reference count per operation, which showed in profiles of the hot path.
using executor = net::io_context::executor_type;
using socket_type = net::basic_stream_socket<tcp, executor>;
using clock = std::chrono::steady_clock;

class session;

// One thread's share of the connections.
struct worker {
  net::io_context io{1};  // run by one thread: Asio may leave out what sharing would need
  net::executor_work_guard<executor> keep_running = net::make_work_guard(io);
  net::basic_waitable_timer<clock, net::wait_traits<clock>, executor> sweep_timer{io.get_executor()};
  std::vector<std::weak_ptr<session>> sessions;  // for the sweep, which also prunes them
};

}  // namespace

struct server::state {
  state(server_options o, router r, base::registry& metrics)
      : options(std::move(o)), routes(std::move(r)), metrics_probe(metrics) {
    for (int i = 0; i < std::max(1, options.threads); ++i) workers.push_back(std::make_unique<worker>());
  }

  worker& next_worker() { return *workers[next++ % workers.size()]; }

  // Declared before the workers: sessions, which the workers' io_contexts own, use them until
  // the end.
  server_options options;
  router routes;
  probe metrics_probe;
  std::atomic<bool> draining{false};
  std::atomic<std::int64_t> connections{0};  // open sessions, for options.max_connections
  std::vector<std::unique_ptr<worker>> workers;
  std::size_t next = 0;  // the worker of the next connection (the acceptor's thread only)
  // On the first worker: its handlers, and stop()'s close posted there, run on that one thread.
  std::optional<tcp::acceptor> acceptor;
  // serve_when_readable's descriptors (duplicates), on the first worker, and what each runs.
  struct readable_watch {
    int fd;
    std::function<void()> ready;
    // With the polymorphic executor: Boost 1.74 cannot move a descriptor of a concrete one.
    std::optional<net::posix::stream_descriptor> descriptor;
  };
  std::vector<std::unique_ptr<readable_watch>> watches;
};

namespace {

// Boost 1.74's Beast speaks boost::string_view.
std::string_view as_std(boost::beast::string_view v) noexcept {
  return {v.data(), v.size()};
}

using beast_request = beast::http::request<request_body>;

constexpr std::size_t read_buffer_bytes = 16 * 1024;
constexpr auto no_deadline = clock::time_point::max();

// One client connection, on one worker's thread. Owned by shared_ptrs held by its pending
// operations and by a handler's reply.
class session : public std::enable_shared_from_this<session> {
 public:
  session(socket_type socket, server::state* s) : socket_(std::move(socket)), state_(s) {
    state_->connections.fetch_add(1, std::memory_order_relaxed);
    state_->metrics_probe.connections().add(1);
    beast::error_code ec;
    const auto remote = socket_.remote_endpoint(ec);
    if (!ec) peer_ = remote.address().to_string();
    // beast reads as much as the buffer has room for, and at least 512 bytes: left to grow by
    // itself, it stays small and a 10 kB batch takes some twenty reads, each a trip through the
    // reactor. 16 KiB takes most bodies in one or two, for 16 KiB a connection.
    buffer_.reserve(read_buffer_bytes);
  }
  ~session() {
    state_->connections.fetch_sub(1, std::memory_order_relaxed);
    state_->metrics_probe.connections().add(-1);
  }

  // On the session's worker.
  void start(worker& w) {
    w.sessions.push_back(weak_from_this());
    read_request();
  }

  // The worker's sweep: closes a connection whose read or write has outlived its deadline.
  void sweep(clock::time_point now) {
    if (now >= deadline_) close();
  }

 private:
  void read_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.max_header_bytes));
    parser_->body_limit(state_->options.max_body_bytes);
    // The first request gets the read deadline; later ones on a kept-alive connection first wait
    // up to the idle timeout. A slow client loses the connection either way.
    deadline_ =
        clock::now() + (requests_served_ == 0 ? state_->options.read_timeout : state_->options.idle_timeout);
    beast::http::async_read(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    deadline_ = no_deadline;  // the handler's own deadline bounds the wait for its answer
    if (ec == beast::http::error::body_limit) {
      // The pipeline's own words, so that a client sees one answer whichever check stopped it.
      const auto r = ingest::body_too_large(state_->options.max_body_bytes);
      return answer_and_close(r.status, r.code, r.message);
    }
    if (ec == beast::http::error::header_limit) {
      return answer_and_close(
          431, "headers_too_large",
          fmt::format("the request headers are over {} bytes", state_->options.max_header_bytes));
    }
    if (ec) return close();  // timeout, reset, or a client that went away: nothing to answer
    dispatch_request(parser_->release());
  }

  void dispatch_request(beast_request&& raw) {
    keep_alive_ = raw.keep_alive() && !state_->draining.load();
    started_ = clock::now();
    request req;
    req.method = as_std(raw.method_string());
    const std::string_view target = as_std(raw.target());
    const auto q = target.find('?');
    req.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
    req.headers.reserve(16);
    for (const auto& field : raw.base()) {
      std::string name(as_std(field.name_string()));
      for (auto& c : name) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;  // ASCII only
      req.headers.emplace_back(std::move(name), as_std(field.value()));
    }
    req.body = std::move(raw.body());
    req.peer = peer_;

    const auto match = state_->routes.find(req.method, req.path);
    route_label_ = match.label;
    state_->metrics_probe.in_flight().add(1);
    if (!match.target) {
      auto none = ingest::no_route(req.method, req.path, !match.method_allowed);
      response r;
      r.status = none.status;
      r.content_type = std::move(none.content_type);
      r.body = std::move(none.body);
      respond(std::move(r));
      return;
    }
    try {
      (*match.target)(std::move(req), [self = shared_from_this()](response r) {
        // Inline when the handler answers on this worker; posted there from any other thread.
        net::dispatch(self->socket_.get_executor(),
                      [self, r = std::move(r)]() mutable { self->respond(std::move(r)); });
      });
    } catch (const std::exception& e) {
      base::logger_for("http").error("handler failed route={} error=\"{}\"", route_label_, e.what());
      respond(response::json_error(500, "internal_error",
                                   "the server failed to handle the request; it was logged"));
    }
  }

  void respond(response r) {
    if (r.stream) return start_stream(std::move(r));
    keep_alive_ = keep_alive_ && !state_->draining.load();
    out_.clear();
    append_response(r, keep_alive_, out_);
    answered_status_ = r.status;
    deadline_ = clock::now() + state_->options.read_timeout;
    net::async_write(
        socket_, net::buffer(out_),
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_written(ec); });
  }

  void on_written(beast::error_code ec) {
    deadline_ = no_deadline;
    auto& p = state_->metrics_probe;
    p.in_flight().add(-1);
    count_answer(answered_status_);
    p.duration().observe(std::chrono::duration<double>(clock::now() - started_).count());
    ++requests_served_;
    if (ec || !keep_alive_ || state_->draining.load()) return close();
    read_request();
  }

  // Most connections ask one route and get one status again and again: the counter is looked up
  // (under the family's lock) only when they change.
  void count_answer(unsigned status) {
    if (!answers_ || route_label_.data() != answers_route_ || status != answers_status_) {
      answers_ = &state_->metrics_probe.answers(route_label_, status);
      answers_route_ = route_label_.data();
      answers_status_ = status;
    }
    answers_->inc();
  }

  // A streamed response: the head, then whatever the handler's writer sends, until either side
  // closes. It counts as answered once the head is queued, so that a server stopping does not
  // wait for streams to end.
  void start_stream(response r) {
    keep_alive_ = false;
    state_->metrics_probe.in_flight().add(-1);
    count_answer(r.status);
    deadline_ = no_deadline;
    auto writer = std::make_shared<stream_end>(shared_from_this());
    writer->write(stream_head(r));
    r.stream(std::move(writer));
  }

  // What a streamed response's handler holds: queues bytes on the session's worker.
  class stream_end final : public stream_writer {
   public:
    explicit stream_end(std::shared_ptr<session> s) : session_(std::move(s)) {}
    ~stream_end() override {
      if (session_) net::post(session_->socket_.get_executor(), [s = session_] { s->close(); });
    }
    bool write(std::string bytes) override {
      std::lock_guard lock(mutex_);
      if (!session_) return false;
      // A client that stops reading is dropped rather than buffered for without limit.
      constexpr std::size_t max_queued = 1u << 20;
      if (session_->stream_failed_ || session_->stream_queued_ + bytes.size() > max_queued) {
        net::post(session_->socket_.get_executor(), [s = session_] { s->close(); });
        session_.reset();
        return false;
      }
      session_->stream_queued_ += bytes.size();
      net::post(session_->socket_.get_executor(),
                [s = session_, b = std::move(bytes)]() mutable { s->queue_stream_bytes(std::move(b)); });
      return true;
    }

   private:
    std::mutex mutex_;
    std::shared_ptr<session> session_;  // keeps the connection open while the handler streams
  };

  void queue_stream_bytes(std::string bytes) {
    stream_out_.push_back(std::move(bytes));
    if (stream_out_.size() == 1) write_stream_front();
  }

  void write_stream_front() {
    net::async_write(socket_, net::buffer(stream_out_.front()),
                     [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                       self->stream_queued_ -= n;
                       self->stream_out_.pop_front();
                       if (ec) {
                         self->stream_failed_ = true;
                         self->stream_out_.clear();
                         return self->close();
                       }
                       if (!self->stream_out_.empty()) self->write_stream_front();
                     });
  }

  // For errors found while reading: the body was not read whole, so the connection cannot be
  // reused.
  void answer_and_close(unsigned status, std::string_view code, std::string message) {
    keep_alive_ = false;
    started_ = clock::now();
    route_label_ = "other";
    if (parser_) {
      const auto target = as_std(parser_->get().target());
      route_label_ =
          state_->routes.find(as_std(parser_->get().method_string()), target.substr(0, target.find('?')))
              .label;
    }
    state_->metrics_probe.in_flight().add(1);
    respond(response::json_error(status, code, message));
  }

  void close() {
    deadline_ = no_deadline;
    if (!socket_.is_open()) return;
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    socket_.close(ignored);  // what is pending completes with operation_aborted
  }

  socket_type socket_;
  server::state* state_;  // owns the io_contexts that own this session's handlers
  beast::flat_buffer buffer_;
  std::optional<beast::http::request_parser<request_body>> parser_;
  std::string peer_;
  std::string out_;  // the answer being written
  clock::time_point deadline_ = no_deadline;
  std::string_view route_label_ = "other";  // points into the router, which outlives sessions
  clock::time_point started_;
  unsigned answered_status_ = 0;
  base::counter* answers_ = nullptr;  // count_answer's last counter, for answers_route_/status_
  const char* answers_route_ = nullptr;
  unsigned answers_status_ = 0;
  std::uint64_t requests_served_ = 0;
  bool keep_alive_ = true;
  std::deque<std::string> stream_out_;         // streamed bytes waiting to be written
  std::atomic<std::size_t> stream_queued_{0};  // their size, for the writer's limit
  std::atomic<bool> stream_failed_{false};
};

// How often a worker looks for connections past their deadline: a few times per timeout, so a
// deadline is kept to within a quarter of it (and a second at most).
clock::duration sweep_interval(const server_options& o) {
  const auto shortest = std::min(o.read_timeout, o.idle_timeout);
  return std::clamp<clock::duration>(shortest / 4, std::chrono::milliseconds(10), std::chrono::seconds(1));
}

void sweep_every(worker& w, clock::duration interval) {
  w.sweep_timer.expires_after(interval);
  w.sweep_timer.async_wait([&w, interval](beast::error_code ec) {
    if (ec) return;  // stopping
    const auto now = clock::now();
    std::erase_if(w.sessions, [now](const std::weak_ptr<session>& weak) {
      const auto s = weak.lock();
      if (s) s->sweep(now);
      return !s;
    });
    sweep_every(w, interval);
  });
}

void wait_readable(server::state::readable_watch& w) {
  w.descriptor->async_wait(net::posix::descriptor_base::wait_read, [&w](beast::error_code ec) {
    if (ec) return;  // stopping
    w.ready();
    wait_readable(w);
  });
}

void accept_next(server::state* s) {
  worker& w = s->next_worker();
  s->acceptor->async_accept(w.io, [s, &w](beast::error_code ec, socket_type socket) {
    if (ec == net::error::operation_aborted || !s->acceptor->is_open()) return;
    if (!ec && s->connections.load(std::memory_order_relaxed) >= s->options.max_connections) {
      // Over the cap: closed before anything is read, so that a flood of connections costs a
      // descriptor for a moment and no more, and the connections already open go on.
      s->metrics_probe.connections_refused().inc();
      beast::error_code ignored;
      socket.close(ignored);
    } else if (!ec) {
      net::post(w.io, [session = std::make_shared<session>(std::move(socket), s), &w] { session->start(w); });
    }
    accept_next(s);
  });
}

}  // namespace

server::server(server_options options, router routes, base::registry& metrics)
    : options_(options), state_(std::make_unique<state>(std::move(options), std::move(routes), metrics)) {}

server::~server() {
  stop(std::chrono::milliseconds(0));
}

void server::start() {
  auto& first = state_->workers.front()->io;
  beast::error_code ec;
  const auto address = net::ip::make_address(options_.host, ec);
  tcp::endpoint endpoint;
  if (ec) {
    tcp::resolver resolver(first);
    auto results = resolver.resolve(options_.host, std::to_string(options_.port), ec);
    if (ec || results.empty()) {
      throw std::runtime_error(
          fmt::format("cannot resolve http.listen host \"{}\": {}", options_.host, ec.message()));
    }
    endpoint = *results.begin();
  } else {
    endpoint = tcp::endpoint(address, options_.port);
  }
  auto& acceptor = state_->acceptor.emplace(first);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("cannot listen on {}:{}: {}; choose another http.listen (or --listen)", options_.host,
                    options_.port, ec.message()));
  }
  port_ = acceptor.local_endpoint().port();
  accept_next(state_.get());
  for (auto& w : state_->watches) {
    const int copy = ::dup(w->fd);
    if (copy < 0) {
      throw std::runtime_error(fmt::format("cannot watch descriptor {}: {}", w->fd, std::strerror(errno)));
    }
    w->descriptor.emplace(first, copy);
    wait_readable(*w);
  }
  const auto interval = sweep_interval(options_);
  for (auto& w : state_->workers) {
    sweep_every(*w, interval);
    threads_.emplace_back([w = w.get()] { w->io.run(); });
  }
  base::logger_for("http").info("listening address={}:{} threads={}", options_.host, port_,
                                state_->workers.size());
}

void server::stop(std::chrono::milliseconds drain) {
  if (stopped_ || threads_.empty()) return;
  stopped_ = true;
  state_->draining = true;
  net::dispatch(state_->workers.front()->io, [s = state_.get()] {
    beast::error_code ignored;
    s->acceptor->close(ignored);
  });
  const auto deadline = std::chrono::steady_clock::now() + drain;
  while (in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& w : state_->workers) {
    w->keep_running.reset();
    w->io.stop();
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void server::serve_when_readable(int fd, std::function<void()> ready) {
  state_->watches.push_back(
      std::make_unique<state::readable_watch>(state::readable_watch{fd, std::move(ready), {}}));
}

std::int64_t server::in_flight() const noexcept {
  return state_->metrics_probe.in_flight().value();
}

}  // namespace clicktrail::http
