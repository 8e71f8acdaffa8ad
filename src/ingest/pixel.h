#pragma once
// GET /v1/p.gif?site=…&type=…&url=… for pages without JavaScript (and e-mail opens): the query
// becomes one event object, which then takes the same decode and validation path as POSTed
// JSON. The answer is a 1×1 transparent GIF.

#include <string>
#include <string_view>
#include <variant>

#include "ingest/refusal.h"

namespace clicktrail::ingest {

// The 43-byte transparent GIF the pixel answers with.
std::string_view transparent_gif();

struct pixel_query {
  std::string site;        // ?site=
  std::string event_json;  // the event object built from the other parameters
};

// Parameters: site, type (default page_view), url, ref, title, aid (anonymous_id), sid
// (session_id), uid (user_id), eid (event_id), ts (client_ts, ms). Anything else is refused
// (400) so that a typo is seen rather than lost.
std::variant<pixel_query, refusal> parse_pixel_query(std::string_view query);

}  // namespace clicktrail::ingest
