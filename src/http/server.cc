#include "http/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <atomic>
#include <deque>
#include <optional>
#include <stdexcept>

#include "base/log.h"
#include "http/probe.h"
#include "ingest/body.h"
#include "ingest/responses.h"

namespace clicktrail::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

struct server::state {
  state(server_options o, router r, base::registry& metrics)
      : options(std::move(o)), routes(std::move(r)), metrics_probe(metrics) {}

  server_options options;
  router routes;
  probe metrics_probe;
  net::io_context io{};
  // Keeps the threads running while a handler holds a reply but no socket operation is pending.
  net::executor_work_guard<net::io_context::executor_type> keep_running = net::make_work_guard(io);
  // On a strand of its own: accept_next's handler (which starts the next accept) and stop()'s
  // close run on different io threads otherwise, and an acceptor is not safe to use from two
  // threads at once (ThreadSanitizer saw close() free the descriptor data async_accept was using).
  tcp::acceptor acceptor{net::make_strand(io)};
  std::atomic<bool> draining{false};
  std::atomic<std::int64_t> connections{0};  // open sessions, for options.max_connections
};

namespace {

// Boost 1.74's Beast speaks boost::string_view.
std::string_view as_std(boost::beast::string_view v) noexcept {
  return {v.data(), v.size()};
}

using beast_request = beast::http::request<beast::http::string_body>;
using beast_response = beast::http::response<beast::http::string_body>;

constexpr std::size_t read_buffer_bytes = 16 * 1024;

// One client connection. Owned by shared_ptrs held by its pending operations; runs on its strand.
class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, server::state* s) : stream_(std::move(socket)), state_(s) {
    state_->connections.fetch_add(1, std::memory_order_relaxed);
    state_->metrics_probe.connections().add(1);
    beast::error_code ec;
    const auto remote = stream_.socket().remote_endpoint(ec);
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

  void start() { read_request(); }

 private:
  void read_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.max_header_bytes));
    parser_->body_limit(state_->options.max_body_bytes);
    // The first request gets the read deadline; later ones on a kept-alive connection first wait
    // up to the idle timeout. A slow client loses the connection either way.
    stream_.expires_after(requests_served_ == 0 ? state_->options.read_timeout
                                                : state_->options.idle_timeout);
    beast::http::async_read(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
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
    started_ = std::chrono::steady_clock::now();
    request req;
    req.method = as_std(raw.method_string());
    const std::string_view target = as_std(raw.target());
    const auto q = target.find('?');
    req.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
    for (const auto& field : raw.base()) {
      std::string name(as_std(field.name_string()));
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
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
        net::dispatch(self->stream_.get_executor(),
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
    auto out = std::make_shared<beast_response>(static_cast<beast::http::status>(r.status), 11);
    out->set(beast::http::field::server, "clicktrail");
    if (r.status != 204 && !r.content_type.empty())
      out->set(beast::http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) out->set(name, value);
    out->body() = std::move(r.body);
    keep_alive_ = keep_alive_ && !state_->draining.load();
    out->keep_alive(keep_alive_);
    out->prepare_payload();
    const unsigned status = r.status;
    stream_.expires_after(state_->options.read_timeout);
    beast::http::async_write(stream_, *out,
                             [self = shared_from_this(), out, status](beast::error_code ec, std::size_t) {
                               self->on_written(ec, status);
                             });
  }

  void on_written(beast::error_code ec, unsigned status) {
    auto& p = state_->metrics_probe;
    p.in_flight().add(-1);
    p.answered(route_label_, status);
    p.duration().observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    ++requests_served_;
    if (ec || !keep_alive_ || state_->draining.load()) return close();
    read_request();
  }

  // A streamed response: the head, then whatever the handler's writer sends, until either side
  // closes. It counts as answered once the head is queued, so that a server stopping does not
  // wait for streams to end.
  void start_stream(response r) {
    keep_alive_ = false;
    std::string head = fmt::format(
        "HTTP/1.1 {} {}\r\nServer: clicktrail\r\nContent-Type: {}\r\nConnection: close\r\n", r.status,
        as_std(beast::http::obsolete_reason(static_cast<beast::http::status>(r.status))), r.content_type);
    for (const auto& [name, value] : r.headers) head += fmt::format("{}: {}\r\n", name, value);
    head += "\r\n";
    head += r.body;
    auto& p = state_->metrics_probe;
    p.in_flight().add(-1);
    p.answered(route_label_, r.status);
    stream_.expires_never();
    auto writer = std::make_shared<stream_end>(shared_from_this());
    writer->write(std::move(head));
    r.stream(std::move(writer));
  }

  // What a streamed response's handler holds: queues bytes on the session's strand.
  class stream_end final : public stream_writer {
   public:
    explicit stream_end(std::shared_ptr<session> s) : session_(std::move(s)) {}
    ~stream_end() override {
      if (session_) net::post(session_->stream_.get_executor(), [s = session_] { s->close(); });
    }
    bool write(std::string bytes) override {
      std::lock_guard lock(mutex_);
      if (!session_) return false;
      // A client that stops reading is dropped rather than buffered for without limit.
      constexpr std::size_t max_queued = 1u << 20;
      if (session_->stream_failed_ || session_->stream_queued_ + bytes.size() > max_queued) {
        net::post(session_->stream_.get_executor(), [s = session_] { s->close(); });
        session_.reset();
        return false;
      }
      session_->stream_queued_ += bytes.size();
      net::post(session_->stream_.get_executor(),
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
    net::async_write(stream_, net::buffer(stream_out_.front()),
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
    started_ = std::chrono::steady_clock::now();
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
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  server::state* state_;  // owns the io_context that owns this session's handlers
  beast::flat_buffer buffer_;
  std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
  std::string peer_;
  std::string_view route_label_ = "other";  // points into the router, which outlives sessions
  std::chrono::steady_clock::time_point started_;
  std::uint64_t requests_served_ = 0;
  bool keep_alive_ = true;
  std::deque<std::string> stream_out_;         // streamed bytes waiting to be written (strand)
  std::atomic<std::size_t> stream_queued_{0};  // their size, for the writer's limit
  std::atomic<bool> stream_failed_{false};
};

void accept_next(server::state* s) {
  s->acceptor.async_accept(net::make_strand(s->io), [s](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !s->acceptor.is_open()) return;
    if (!ec && s->connections.load(std::memory_order_relaxed) >= s->options.max_connections) {
      // Over the cap: closed before anything is read, so that a flood of connections costs a
      // descriptor for a moment and no more, and the connections already open go on.
      s->metrics_probe.connections_refused().inc();
      beast::error_code ignored;
      socket.close(ignored);
    } else if (!ec) {
      std::make_shared<session>(std::move(socket), s)->start();
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
  beast::error_code ec;
  const auto address = net::ip::make_address(options_.host, ec);
  tcp::endpoint endpoint;
  if (ec) {
    tcp::resolver resolver(state_->io);
    auto results = resolver.resolve(options_.host, std::to_string(options_.port), ec);
    if (ec || results.empty()) {
      throw std::runtime_error(
          fmt::format("cannot resolve http.listen host \"{}\": {}", options_.host, ec.message()));
    }
    endpoint = *results.begin();
  } else {
    endpoint = tcp::endpoint(address, options_.port);
  }
  auto& acceptor = state_->acceptor;
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
  for (int i = 0; i < options_.threads; ++i) {
    threads_.emplace_back([s = state_.get()] { s->io.run(); });
  }
  base::logger_for("http").info("listening address={}:{} threads={}", options_.host, port_, options_.threads);
}

void server::stop(std::chrono::milliseconds drain) {
  if (stopped_ || threads_.empty()) return;
  stopped_ = true;
  state_->draining = true;
  net::dispatch(state_->acceptor.get_executor(), [s = state_.get()] {
    beast::error_code ignored;
    s->acceptor.close(ignored);
  });
  const auto deadline = std::chrono::steady_clock::now() + drain;
  while (in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  state_->keep_running.reset();
  state_->io.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

std::int64_t server::in_flight() const noexcept {
  return state_->metrics_probe.in_flight().value();
}

}  // namespace clicktrail::http
