#pragma once
// A request refused as a whole, before any event was read from it: the status, a
// machine-readable code (also the metrics label and the bad topic's reason), and one sentence
// for the client.

#include <string>
#include <string_view>

#include "ingest/exchange.h"
#include "ingest/responses.h"

namespace clicktrail::ingest {

struct refusal {
  unsigned status;
  std::string code;
  std::string message;

  ingest_response to_response() const { return error_response(status, code, message); }
};

// 403: a browser page at `origin` may not send events for `site` (CORS).
refusal origin_not_allowed(std::string_view origin, std::string_view site);

}  // namespace clicktrail::ingest
