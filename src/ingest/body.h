#pragma once
// The request body before it is JSON: content type and content encoding checks, and gunzip with
// a cap on the inflated size so that a small compressed body cannot expand without bound.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "ingest/refusal.h"

namespace clicktrail::ingest {

// application/json or text/plain (sendBeacon sends text/plain to avoid a CORS preflight),
// with any parameters (charset=utf-8). Anything else is 415.
std::optional<refusal> check_content_type(std::string_view content_type);

// 413 for a body over `max_body` bytes; the HTTP server sends the same when it stops reading.
refusal body_too_large(std::size_t max_body);

// Leaves the JSON text in `body`: inflates it when `content_encoding` is gzip. Refuses other
// encodings (415), corrupt gzip (400), and a body over `max_body` bytes before or after
// inflating (413).
std::optional<refusal> decode_content(std::string& body, std::string_view content_encoding,
                                      std::size_t max_body);

}  // namespace clicktrail::ingest
