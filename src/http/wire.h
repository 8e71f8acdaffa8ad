#pragma once
// A response as bytes on the wire: the status line, the headers and the body in one buffer, so
// that an answer is one write and one system call.

#include <string>

#include "http/message.h"

namespace clicktrail::http {

// Appends `r`'s head and body to `out`. Content-Length is set from the body, except for the
// statuses that have none (1xx, 204, 304); `keep_alive` false adds "Connection: close".
void append_response(const response& r, bool keep_alive, std::string& out);

// The head of a streamed response: no length, the connection closed when the stream ends.
std::string stream_head(const response& r);

}  // namespace clicktrail::http
