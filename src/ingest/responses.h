#pragma once
// The JSON bodies of ingest's answers, written by hand: they are small and on the hot path.

#include <chrono>
#include <string_view>

#include "ingest/exchange.h"

namespace clicktrail::ingest {

// {"error":"<code>","message":"<sentence>"}
ingest_response error_response(unsigned status, std::string_view code, std::string_view message);

// 429 with Retry-After (whole seconds, at least 1): `whose` sent more than its limit allows.
ingest_response rate_limited(std::chrono::milliseconds wait, std::string_view whose,
                             std::string_view setting);

// 404 for a path nothing serves, or 405 when the path is served under other methods: the HTTP
// server's answer and the Lambda function's, so that both say the same.
ingest_response no_route(std::string_view method, std::string_view path, bool path_has_other_methods);

}  // namespace clicktrail::ingest
