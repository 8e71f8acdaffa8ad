#pragma once
// The HTTP request and response as routes see them: plain values, no Beast types, so that
// handlers are easy to test and the server's transport can change without touching them.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clicktrail::http {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct request {
  std::string method;   // "GET", "POST", …
  std::string path;     // without the query
  std::string query;    // after '?', undecoded; empty when absent
  header_list headers;  // names lower-cased
  std::string body;
  std::string peer;  // the client's address, as text

  // The first header of that (lower-case) name, or empty.
  std::string_view header(std::string_view lower_name) const noexcept;
};

// The open end of a streamed response (Server-Sent Events): bytes written go out as they come.
// Thread-safe; it may outlive the connection, and then writes return false.
class stream_writer {
 public:
  virtual ~stream_writer() = default;
  // Queues `bytes`; false once the client is gone or too far behind (the connection is closed).
  virtual bool write(std::string bytes) = 0;
};

struct response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  header_list headers;  // extra headers (CORS, Retry-After, caching)
  // Set for a streamed response: after the headers (and `body`, if any), the server calls it
  // once with the writer; the connection stays open, without a length, until the client leaves.
  std::function<void(std::shared_ptr<stream_writer>)> stream;

  // {"error": "<code>", "message": "<sentence>"} with the given status.
  static response json_error(unsigned status, std::string_view code, std::string_view message);
};

// A handler answers by calling `reply` exactly once, from any thread, possibly after it returned
// (the ingest route answers when Kafka's delivery reports arrive).
using reply_fn = std::function<void(response)>;
using handler = std::function<void(request&&, reply_fn)>;

}  // namespace clicktrail::http
