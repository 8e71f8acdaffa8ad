#pragma once
// A request and its answer as ingest sees them: transport-free, so that the HTTP collector and
// the Lambda function (API Gateway events) fill and read the same structures.

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"

namespace clicktrail::ingest {

using header_list = std::vector<std::pair<std::string, std::string>>;

// The paths every front end serves ingest on (docs/ingest-api.md).
inline constexpr std::string_view events_path = "/v1/events";  // POST, and OPTIONS (preflight)
inline constexpr std::string_view pixel_path = "/v1/p.gif";    // GET
// Snowplow's (docs/compat-snowplow.md); Segment's are under segment.prefixes (ingest/routes.cc).
inline constexpr std::string_view snowplow_tp2_path = "/com.snowplowanalytics.snowplow/tp2";
inline constexpr std::string_view snowplow_pixel_paths[] = {"/i", "/ice.png"};

// The client's address (ingest/client_ip.h says which one that is).
struct client_address {
  std::string full;    // never stored: the geo lookup and cookieless ids use it, then it is gone
  std::string stored;  // the `ip` column: anonymised unless ingest.anonymize_ip = false
};

struct ingest_request {
  std::string query;  // undecoded, without '?'
  std::string body;
  std::string peer;  // the connecting address (the proxy's, behind one)
  // Header values by name; empty when absent.
  std::string content_type, content_encoding, origin, site_header, user_agent, forwarded_for;
  std::string cookie;         // the Cookie header (several joined with "; ")
  std::string authorization;  // Segment's write key, as HTTP Basic
  bool sp_anonymous = false;  // the SP-Anonymous header: no cookie, no address (Snowplow)
  bool retry = false;         // X-Retry-Count above 0: a client's retry (Segment's libraries)
  // The transport's own deadline for the answer (a Lambda invocation's end), if earlier than
  // ingest.produce_timeout from now; the default means none.
  base::steady::time_point answer_by{};
  // Not for transports: the pipeline works it out once, on arrival, from peer and forwarded_for.
  client_address client;
};

struct ingest_response {
  unsigned status = 204;
  std::string content_type;  // empty when there is no body
  std::string body;
  header_list headers;  // CORS, Retry-After
};

using respond_fn = std::function<void(ingest_response)>;

}  // namespace clicktrail::ingest
