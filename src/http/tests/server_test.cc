#include "http/server.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace clicktrail::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

// A real server on a free loopback port, with a few routes, torn down after each test.
class server_test : public ::testing::Test {
 protected:
  void SetUp() override {
    router r;
    r.add("GET", "/hello", [](request&& req, reply_fn reply) {
      response out;
      out.body = "hello " + req.query + " from " + req.peer;
      reply(std::move(out));
    });
    r.add("POST", "/echo", [](request&& req, reply_fn reply) {
      response out;
      out.body = std::string(req.header("x-test")) + ":" + req.body;
      reply(std::move(out));
    });
    // Answers later, from another thread, as the ingest route does after delivery reports.
    // The thread is joined at teardown: a reply (which holds its connection) must not outlive
    // the server, and the server does not yet wait for replies it handed out (issue 15).
    r.add("POST", "/later", [this](request&&, reply_fn reply) {
      const std::lock_guard lock(repliers_mutex_);
      repliers_.emplace_back([reply = std::move(reply)] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        reply(response{204, "", "", {}, {}});
      });
    });
    r.add("GET", "/throws", [](request&&, reply_fn) { throw std::runtime_error("boom"); });
    server_options options;
    options.port = 0;
    options.threads = 2;
    options.max_body_bytes = 1024;
    options.read_timeout = std::chrono::milliseconds(300);
    srv_ = std::make_unique<server>(options, std::move(r), metrics_);
    srv_->start();
  }
  void TearDown() override {
    {
      const std::lock_guard lock(repliers_mutex_);
      for (auto& t : repliers_) t.join();
    }
    srv_->stop();
  }

  tcp::socket connect() {
    tcp::socket socket(io_);
    socket.connect({net::ip::make_address("127.0.0.1"), srv_->local_port()});
    return socket;
  }

  beast::http::response<beast::http::string_body> send(tcp::socket& socket, beast::http::verb verb,
                                                       const std::string& target,
                                                       const std::string& body = "") {
    beast::http::request<beast::http::string_body> req{verb, target, 11};
    req.set(beast::http::field::host, "127.0.0.1");
    req.set("X-Test", "t");
    req.body() = body;
    req.prepare_payload();
    beast::http::write(socket, req);
    beast::flat_buffer buffer;
    beast::http::response<beast::http::string_body> res;
    beast::http::read(socket, buffer, res);
    return res;
  }

  net::io_context io_;
  base::registry metrics_;
  std::unique_ptr<server> srv_;
  std::mutex repliers_mutex_;
  std::vector<std::thread> repliers_;  // the /later route's answering threads
};

TEST_F(server_test, routes_by_method_and_path_and_keeps_the_connection_alive) {
  auto socket = connect();
  auto a = send(socket, beast::http::verb::get, "/hello?x=1");
  EXPECT_EQ(a.result_int(), 200u);
  EXPECT_EQ(a.body(), "hello x=1 from 127.0.0.1");
  auto b = send(socket, beast::http::verb::post, "/echo", "payload");  // same connection
  EXPECT_EQ(b.result_int(), 200u);
  EXPECT_EQ(b.body(), "t:payload");
}

TEST_F(server_test, unknown_paths_and_methods_get_json_errors) {
  auto socket = connect();
  auto missing = send(socket, beast::http::verb::get, "/nope");
  EXPECT_EQ(missing.result_int(), 404u);
  EXPECT_EQ(missing[beast::http::field::content_type], "application/json");
  EXPECT_EQ(missing.body(), R"({"error":"not_found","message":"no route for /nope"})");
  auto wrong = send(socket, beast::http::verb::delete_, "/hello");
  EXPECT_EQ(wrong.result_int(), 405u);
}

TEST_F(server_test, a_reply_from_another_thread_reaches_the_client) {
  auto socket = connect();
  EXPECT_EQ(send(socket, beast::http::verb::post, "/later").result_int(), 204u);
  EXPECT_EQ(send(socket, beast::http::verb::get, "/hello").result_int(), 200u);
}

TEST_F(server_test, an_oversized_body_gets_413_and_the_server_keeps_serving) {
  auto socket = connect();
  auto res = send(socket, beast::http::verb::post, "/echo", std::string(4096, 'x'));
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_NE(res.body().find("body_too_large"), std::string::npos);
  auto other = connect();
  EXPECT_EQ(send(other, beast::http::verb::get, "/hello").result_int(), 200u);
}

TEST_F(server_test, a_throwing_handler_answers_500) {
  auto socket = connect();
  EXPECT_EQ(send(socket, beast::http::verb::get, "/throws").result_int(), 500u);
}

TEST_F(server_test, a_slow_client_is_disconnected_after_the_read_timeout) {
  auto slow = connect();
  net::write(slow, net::buffer(std::string("GET /hello HTTP/1.1\r\nHost: x\r\n")));  // never finishes
  const auto started = std::chrono::steady_clock::now();
  char byte;
  boost::system::error_code ec;
  net::read(slow, net::buffer(&byte, 1), ec);  // returns when the server closes
  EXPECT_EQ(ec, net::error::eof);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  auto other = connect();  // and others were served meanwhile
  EXPECT_EQ(send(other, beast::http::verb::get, "/hello").result_int(), 200u);
}

TEST_F(server_test, answers_are_counted_by_route_and_status) {
  auto socket = connect();
  send(socket, beast::http::verb::get, "/hello");
  send(socket, beast::http::verb::get, "/hello");
  send(socket, beast::http::verb::get, "/nope");
  socket.close();
  // Counted once the answer's last byte is written, which may be just after the client read it.
  std::string text;
  for (int i = 0; i < 500 && text.find("duration_seconds_count 3") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    text = metrics_.expose();
  }
  EXPECT_NE(text.find(R"(clicktrail_http_requests_total{route="/hello",status="200"} 2)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(clicktrail_http_requests_total{route="other",status="404"} 1)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("clicktrail_http_request_duration_seconds_count 3"), std::string::npos) << text;
}

TEST_F(server_test, stop_waits_for_requests_in_flight) {
  auto socket = connect();
  beast::http::request<beast::http::string_body> req{beast::http::verb::post, "/later", 11};
  req.set(beast::http::field::host, "x");
  req.prepare_payload();
  beast::http::write(socket, req);
  while (srv_->in_flight() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  srv_->stop();  // returns once /later has answered
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> res;
  beast::http::read(socket, buffer, res);
  EXPECT_EQ(res.result_int(), 204u);
  EXPECT_FALSE(res.keep_alive());  // draining: the server closes the connection after answering
}

TEST(server, serves_a_descriptor_on_a_worker_whenever_it_becomes_readable) {
  base::registry metrics;
  server_options options;
  options.port = 0;
  options.threads = 2;
  server srv(options, router{}, metrics);
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::mutex mutex;
  std::condition_variable served;
  int times = 0;
  std::thread::id on;
  srv.serve_when_readable(fd, [&] {
    std::uint64_t count = 0;
    while (::read(fd, &count, sizeof count) > 0) {
    }
    const std::lock_guard lock(mutex);
    ++times;
    on = std::this_thread::get_id();
    served.notify_all();
  });
  srv.start();
  for (int i = 1; i <= 3; ++i) {
    const std::uint64_t one = 1;
    ASSERT_EQ(::write(fd, &one, sizeof one), static_cast<ssize_t>(sizeof one));
    std::unique_lock lock(mutex);
    ASSERT_TRUE(served.wait_for(lock, std::chrono::seconds(5), [&] { return times == i; })) << "write " << i;
    EXPECT_NE(on, std::this_thread::get_id());
  }
  srv.stop();
  ::close(fd);
}

TEST(server, a_busy_port_names_the_address_and_the_fix) {
  base::registry metrics;
  server_options options;
  options.port = 0;
  server first(options, router{}, metrics);
  first.start();
  options.port = first.local_port();
  server second(options, router{}, metrics);
  try {
    second.start();
    FAIL() << "a second server bound the same port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(fmt::format("cannot listen on 127.0.0.1:{}", options.port)),
              std::string::npos);
    EXPECT_NE(std::string(e.what()).find("--listen"), std::string::npos);
  }
}

}  // namespace
}  // namespace clicktrail::http
