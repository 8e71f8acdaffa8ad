#pragma once
// A tiny HTTP/1.1 server on 127.0.0.1 for the store's tests: it stands in for the container
// credentials endpoint and EC2 instance metadata, and, put in front of the real S3 server, it
// is the fault proxy that answers 500 / 503 SlowDown or resets the connection before it lets
// requests through.
//
// One thread accepts, one thread serves each connection; the handler runs on the connection's
// thread (it must be thread-safe when clients open several connections). Destruction closes
// every connection and joins the threads.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace clicktrail::store::test {

struct stub_request {
  std::string method;
  std::string target;                          // path and query, as sent
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string raw;  // the whole request as received, for forwarding
};

struct stub_response {
  enum class action {
    answer,            // send status, headers and body; keep the connection
    reset,             // close the connection with a TCP reset, answering nothing
    forward,           // pass the request to the upstream port, its answer back, then close
    forward_and_drop,  // send the request upstream, throw its answer away, reset the client
  };
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  action what = action::answer;
};

using stub_handler = std::function<stub_response(const stub_request&)>;

class loopback_server {
 public:
  explicit loopback_server(stub_handler handler, std::uint16_t upstream_port = 0);
  ~loopback_server();
  loopback_server(const loopback_server&) = delete;
  loopback_server& operator=(const loopback_server&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }
  int connections() const { return connections_accepted_.load(); }

  // An S3 error answer as the real service writes it.
  static stub_response s3_error(int status, const std::string& code, const std::string& message = "injected");

 private:
  void accept_loop();
  void serve(int fd);

  stub_handler handler_;
  std::uint16_t upstream_port_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<int> connections_accepted_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<int> connections_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

// The port of an http://host:port URL (S3_ENDPOINT).
std::uint16_t port_of(const std::string& url);

}  // namespace clicktrail::store::test
