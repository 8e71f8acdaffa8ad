#pragma once
// A simdjson DOM parser and the padded copy of its input, kept for reuse.
//
// simdjson reads up to SIMDJSON_PADDING bytes past the end of its input, and callers mostly hand
// over string_views of buffers they do not own (Kafka payloads, API Gateway events): those are
// copied into a buffer of ours, one memcpy. A body that already has the room (padded(), below)
// is parsed where it lies. Either way the parser's tape and index are reused across calls. One
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
  // The same, in place when `text` has SIMDJSON_PADDING bytes of room past its end (a copy when not).
  simdjson::error_code parse(simdjson::padded_string_view text, std::size_t max_depth,
                             simdjson::dom::element& root);

 private:
  simdjson::dom::parser parser_;
  std::unique_ptr<char[]> buffer_;
  std::size_t buffer_capacity_ = 0;  // bytes usable before the padding
  std::size_t parser_capacity_ = 0;
  std::size_t parser_depth_ = 0;
};

// `text` as a padded view: the room past its end that simdjson reads is made (a reallocation only
// when its capacity is short) and zeroed, so that parsing it needs no copy. `text` must outlive
// the view and stay unchanged while it is in use.
simdjson::padded_string_view padded(std::string& text);

}  // namespace clicktrail::event
