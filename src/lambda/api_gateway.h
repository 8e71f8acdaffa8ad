#pragma once
// API Gateway's Lambda proxy integration, both payload formats: the event becomes a method, a
// path and an ingest request; an ingest answer becomes the response object that format expects.
//
// - Payload 2.0 (HTTP API): lower-case header names, the path and query string as sent.
// - Payload 1.0 (REST API, and HTTP API set to 1.0): header names as sent, and the query string
//   already decoded into parameters, which are encoded again here because ingest reads the
//   query as a client sent it.
//
// Binary bodies travel base64-encoded both ways (isBase64Encoded).

#include <string>
#include <string_view>

#include "base/result.h"
#include "ingest/exchange.h"

namespace clicktrail::lambda {

enum class payload_format { v1, v2 };

struct proxy_request {
  payload_format format = payload_format::v2;
  std::string method;  // "POST", "OPTIONS", …
  std::string path;    // without the stage, e.g. "/v1/events"
  ingest::ingest_request ingest;
};

// A reject error naming what is missing when the event is not from a proxy integration.
base::result<proxy_request> decode_proxy_event(std::string_view event_json);

// The function's result for API Gateway. Bodies that are not text (the pixel's GIF) are
// base64-encoded; REST APIs need that media type in their binary media types to pass it on.
std::string encode_proxy_response(payload_format format, const ingest::ingest_response& r);

}  // namespace clicktrail::lambda
