#pragma once
// A small HTTP/1.1 client over libcurl (loaded on first use: curl_library.h), for S3 and the
// credential endpoints.
//
// Connections are kept alive: each request borrows a curl easy handle (which owns a connection
// cache) from a pool and gives it back, so a thread that sends request after request reuses its
// connection, and handles follow threads rather than being pinned to them (an upload may move
// between threads). The pool's mutex is held only to take or return a handle.
//
// Thread-safety: send() may be called from any number of threads at once.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace clicktrail::store {

struct http_request {
  http_request(std::string m, std::string u) : method(std::move(m)), url(std::move(u)) {}

  std::string method;  // GET, HEAD, PUT, POST, DELETE
  std::string url;     // already encoded; sent as is (no dot-segment removal)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;  // not owned: must outlive send()
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{0};  // the whole exchange; 0 = none, the stall limit applies
  // Abort a transfer that moves less than one byte a second for this long. Large parts take as
  // long as the network needs; a dead peer is noticed all the same.
  std::chrono::seconds stall_timeout{30};
};

struct http_response {
  long status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  std::string header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct http_client_options {
  std::string ca_bundle;  // PEM file of trusted CAs (AWS_CA_BUNDLE); empty: the system's
  size_t max_idle_handles = 32;
};

class http_client {
 public:
  explicit http_client(http_client_options options = {});
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // Any HTTP status is a response; an error means no response arrived. Its outcome is retry
  // for what may pass (timeouts, refused or reset connections, DNS), fail for what will not
  // (a malformed URL, an unsupported scheme, a TLS certificate that does not verify).
  base::result<http_response> send(const http_request& r);

 private:
  struct handle_deleter {
    void operator()(void* h) const noexcept;
  };
  using handle = std::unique_ptr<void, handle_deleter>;

  handle acquire();
  void release(handle h);

  http_client_options options_;
  std::string unavailable_;  // why libcurl could not be loaded; empty when it was
  std::mutex mutex_;
  std::vector<handle> idle_;
};

}  // namespace clicktrail::store
