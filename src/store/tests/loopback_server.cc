#include "store/tests/loopback_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <stdexcept>

namespace clicktrail::store::test {
namespace {

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads one request (headers, then a Content-Length body) from `fd`, using and refilling
// `pending`. False on EOF or error before a whole request.
bool read_request(int fd, std::string& pending, stub_request& out) {
  char chunk[65536];
  size_t header_end;
  while ((header_end = pending.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    pending.append(chunk, static_cast<size_t>(n));
  }
  out = stub_request{};
  const std::string head = pending.substr(0, header_end);
  size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const size_t sp1 = request_line.find(' ');
  const size_t sp2 = request_line.find(' ', sp1 + 1);
  out.method = request_line.substr(0, sp1);
  out.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t content_length = 0;
  while (line_end != std::string::npos && line_end < head.size()) {
    const size_t next = head.find("\r\n", line_end + 2);
    const std::string line =
        head.substr(line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (name == "content-length") content_length = std::stoul(value);
      out.headers[name] = value;
    }
    line_end = next;
  }
  const size_t total = header_end + 4 + content_length;
  while (pending.size() < total) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    pending.append(chunk, static_cast<size_t>(n));
  }
  out.body = pending.substr(header_end + 4, content_length);
  out.raw = pending.substr(0, total);
  pending.erase(0, total);
  return true;
}

int connect_upstream(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The caller then closes `fd`: with a zero linger time, close() sends RST instead of FIN.
void reset(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

std::uint16_t port_of(const std::string& url) {
  return static_cast<std::uint16_t>(std::stoul(url.substr(url.rfind(':') + 1)));
}

stub_response loopback_server::s3_error(int status, const std::string& code, const std::string& message) {
  return {status,
          {{"Content-Type", "application/xml"}},
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + message +
              "</Message><RequestId>proxy</RequestId></Error>"};
}

loopback_server::loopback_server(stub_handler handler, std::uint16_t upstream_port)
    : handler_(std::move(handler)), upstream_port_(upstream_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("loopback_server: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

loopback_server::~loopback_server() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
  acceptor_.join();
  ::close(listen_fd_);
  {
    std::lock_guard lock(mutex_);
    for (const int fd : connections_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : threads_) t.join();
}

void loopback_server::accept_loop() {
  while (!stopping_) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    ++connections_accepted_;
    std::lock_guard lock(mutex_);
    connections_.push_back(fd);
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

void loopback_server::serve(int fd) {
  std::string pending;
  stub_request request;
  while (!stopping_ && read_request(fd, pending, request)) {
    ++requests_;
    const stub_response response = handler_(request);
    if (response.what == stub_response::action::reset) {
      reset(fd);
      break;
    }
    if (response.what == stub_response::action::forward ||
        response.what == stub_response::action::forward_and_drop) {
      // One request per upstream connection: asked to close after answering, upstream ends its
      // answer with EOF, and this connection closes too, so the client's next request comes on
      // a new connection and passes through the handler again.
      const int up = connect_upstream(upstream_port_);
      std::string raw = request.raw;
      raw.insert(raw.find("\r\n") + 2, "Connection: close\r\n");
      if (up >= 0 && write_all(up, raw)) {
        char chunk[65536];
        ssize_t n;
        while ((n = ::recv(up, chunk, sizeof chunk, 0)) > 0) {
          if (response.what == stub_response::action::forward) write_all(fd, {chunk, static_cast<size_t>(n)});
        }
      }
      if (up >= 0) ::close(up);
      if (up < 0 || response.what == stub_response::action::forward_and_drop) reset(fd);
      break;
    }
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " ";
    out += reason(response.status);
    out += "\r\nContent-Length: " + std::to_string(response.body.size()) + "\r\n";
    for (const auto& [name, value] : response.headers)
      out += name + ": " + value + "\r\n";  // NOLINT(performance-inefficient-string-concatenation)
    out += "\r\n";
    out += response.body;
    if (!write_all(fd, out)) break;
  }
  std::lock_guard lock(mutex_);
  std::erase(connections_, fd);
  ::close(fd);
}

}  // namespace clicktrail::store::test
