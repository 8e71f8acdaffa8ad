#pragma once
// The JSON bodies of ingest's answers, written by hand: they are small and on the hot path.

#include <string_view>

#include "ingest/exchange.h"

namespace clicktrail::ingest {

// {"error":"<code>","message":"<sentence>"}
ingest_response error_response(unsigned status, std::string_view code, std::string_view message);

}  // namespace clicktrail::ingest
