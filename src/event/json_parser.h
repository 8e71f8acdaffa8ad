#pragma once
// A simdjson DOM parser and the padded copy of its input, kept for reuse.
//
// simdjson reads up to SIMDJSON_PADDING bytes past the end of its input, and callers hand over
// string_views of buffers they do not own (HTTP bodies, Kafka payloads). Copying into a buffer
// we own costs one memcpy and lets the parser's tape and index be reused across calls. One
// object per thread (callers keep it thread_local); not thread-safe.

#include <simdjson.h>

#include <cstddef>
#include <memory>
#include <string_view>

namespace clicktrail::event {

class json_parser {
 public:
  // Parses a copy of `text`. Containers may nest `max_depth` deep (a lone object is depth 1).
  // `root` stays valid until the next parse on this object. UTF-8 is validated throughout.
  simdjson::error_code parse(std::string_view text, std::size_t max_depth, simdjson::dom::element& root);

 private:
  simdjson::dom::parser parser_;
  std::unique_ptr<char[]> buffer_;
  std::size_t buffer_capacity_ = 0;  // bytes usable before the padding
  std::size_t parser_capacity_ = 0;
  std::size_t parser_depth_ = 0;
};

}  // namespace clicktrail::event
