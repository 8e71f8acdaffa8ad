#include "lambda/runtime_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <utility>

#include "base/json_string.h"
#include "base/redact.h"

namespace clicktrail::lambda {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using response = http::response<http::string_body>;

constexpr std::string_view api = "/2018-06-01/runtime";
// Lambda's invocation payloads are at most 6 MB (synchronous) today; leave room, keep a bound.
constexpr std::uint64_t max_event_bytes = 32ull << 20;

std::string_view as_std(beast::string_view v) noexcept {
  return {v.data(), v.size()};
}

std::string error_body(std::string_view error_type, std::string_view message) {
  std::string out = "{\"errorMessage\":";
  base::append_json_string(out, message);
  out += ",\"errorType\":";
  base::append_json_string(out, error_type);
  out += ",\"stackTrace\":[]}";
  return out;
}

base::error unexpected(std::string_view what, const response& res) {
  return base::error::fail(fmt::format("the Lambda Runtime API answered {} to {}: {}", res.result_int(), what,
                                       base::excerpt(res.body(), 300)));
}

}  // namespace

class runtime_client::connection {
 public:
  explicit connection(std::string address) : address_(std::move(address)) {}

  // One request and its response on the kept-alive connection, opened (again) when needed.
  // Retried once on a fresh connection, and only when the old one was closed before it answered.
  base::result<response> send(http::verb verb, std::string target, std::string body = {},
                              std::string_view error_type = {}) {
    const auto colon = address_.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return base::error::fail(
          fmt::format("AWS_LAMBDA_RUNTIME_API is \"{}\", not host:port; clicktrail lambda "
                      "runs inside AWS Lambda or its Runtime Interface Emulator",
                      address_));
    }
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, address_);
    req.keep_alive(true);
    if (!error_type.empty())
      req.set("Lambda-Runtime-Function-Error-Type", beast::string_view(error_type.data(), error_type.size()));
    if (verb == http::verb::post) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::move(body);
      req.prepare_payload();
    }
    beast::error_code ec;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!open_ && !open(address_.substr(0, colon), address_.substr(colon + 1), ec)) break;
      http::response_parser<http::string_body> parser;
      parser.body_limit(max_event_bytes);
      http::write(stream_, req, ec);
      if (!ec) http::read(stream_, buffer_, parser, ec);
      if (!ec) {
        auto res = parser.release();
        if (!res.keep_alive()) close();
        return res;
      }
      close();
      if (ec != http::error::end_of_stream && ec != net::error::connection_reset &&
          ec != net::error::broken_pipe) {
        break;
      }
    }
    return base::error::retry(fmt::format("the Lambda Runtime API at {} could not be reached for {} ({})",
                                          address_, target, ec.message()));
  }

 private:
  bool open(const std::string& host, const std::string& port, beast::error_code& ec) {
    tcp::resolver resolver(io_);
    const auto endpoints = resolver.resolve(host, port, ec);
    if (!ec) stream_.connect(endpoints, ec);
    open_ = !ec;
    return open_;
  }
  void close() {
    beast::error_code ignored;
    stream_.socket().close(ignored);
    buffer_.clear();
    open_ = false;
  }

  std::string address_;
  net::io_context io_;
  beast::tcp_stream stream_{io_};
  beast::flat_buffer buffer_;
  bool open_ = false;
};

runtime_client::runtime_client(std::string address)
    : connection_(std::make_unique<connection>(std::move(address))) {}
runtime_client::~runtime_client() = default;
runtime_client::runtime_client(runtime_client&&) noexcept = default;
runtime_client& runtime_client::operator=(runtime_client&&) noexcept = default;

base::result<invocation> runtime_client::next() {
  auto res = connection_->send(http::verb::get, fmt::format("{}/invocation/next", api));
  if (!res) return std::move(res).err();
  if (res->result_int() != 200) return unexpected("invocation/next", *res);
  invocation inv;
  inv.request_id = std::string(as_std((*res)["Lambda-Runtime-Aws-Request-Id"]));
  inv.trace_id = std::string(as_std((*res)["Lambda-Runtime-Trace-Id"]));
  const auto deadline = as_std((*res)["Lambda-Runtime-Deadline-Ms"]);
  if (std::from_chars(deadline.data(), deadline.data() + deadline.size(), inv.deadline).ec != std::errc{} ||
      inv.request_id.empty()) {
    return base::error::fail(
        fmt::format("the Lambda Runtime API sent an invocation without a request id or a "
                    "deadline (request id \"{}\", deadline \"{}\")",
                    inv.request_id, deadline));
  }
  inv.event = std::move(res->body());
  return inv;
}

base::status runtime_client::respond(const invocation& inv, std::string_view body) {
  auto res = connection_->send(
      http::verb::post, fmt::format("{}/invocation/{}/response", api, inv.request_id), std::string(body));
  if (!res) return std::move(res).err();
  if (res->result_int() != 202) return unexpected("invocation " + inv.request_id + "'s response", *res);
  return {};
}

base::status runtime_client::fail_invocation(const invocation& inv, std::string_view error_type,
                                             std::string_view message) {
  auto res = connection_->send(http::verb::post, fmt::format("{}/invocation/{}/error", api, inv.request_id),
                               error_body(error_type, message), error_type);
  if (!res) return std::move(res).err();
  if (res->result_int() != 202) return unexpected("invocation " + inv.request_id + "'s error", *res);
  return {};
}

base::status runtime_client::fail_init(std::string_view error_type, std::string_view message) {
  auto res = connection_->send(http::verb::post, fmt::format("{}/init/error", api),
                               error_body(error_type, message), error_type);
  if (!res) return std::move(res).err();
  if (res->result_int() != 202) return unexpected("init/error", *res);
  return {};
}

}  // namespace clicktrail::lambda
