#pragma once
// Every (method, path) ingest answers, and the door behind it: built once from the config, read
// by the HTTP collector and the Lambda function alike, so that both serve the same paths
// (docs/ingest-api.md, docs/compat-snowplow.md, docs/compat-segment.md).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "event/segment_decode.h"

namespace clicktrail::ingest {

// The protocols ingest speaks; each has its own answers and CORS.
enum class protocol : std::uint8_t { native, snowplow, segment };

enum class door : std::uint8_t {
  events,          // POST /v1/events
  pixel,           // GET /v1/p.gif
  snowplow_post,   // POST tp2 (payload_data)
  snowplow_pixel,  // GET /i: one event in the query
  segment,         // POST /v1/<call>
  preflight,       // OPTIONS on any POST path: CORS for `of`
};

struct ingest_route {
  std::string method;
  std::string path;
  ingest::door door;
  protocol of = protocol::native;
  event::segment_call call = event::segment_call::track;  // door::segment
};

// The native routes and their aliases always; Snowplow's and Segment's when enabled, with their
// configured paths.
// An error names a (method, path) that two routes claim (a snowplow.paths entry equal to a
// Segment route, say).
base::result<std::vector<ingest_route>> ingest_routes(const config::config& cfg);

// The route for (method, path), or nullptr; `path_known` says whether another method has it.
const ingest_route* find_route(const std::vector<ingest_route>& routes, std::string_view method,
                               std::string_view path, bool& path_known) noexcept;

}  // namespace clicktrail::ingest
