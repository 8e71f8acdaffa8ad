#pragma once
// Decoding what trackers send: one event object, an array of them, or the envelope
// {"sent_ts": …, "site": …, "events": […]}. Every event is validated on its own: a bad event is
// rejected with a machine-readable reason and the batch goes on; only a body that cannot be
// read at all (not JSON, not UTF-8, too deep, too many events, no events) is refused whole.
//
// Thread-safe: each call uses its own (thread-local, reused) parser state.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "event/event.h"

namespace simdjson {
class padded_string_view;
}

namespace clicktrail::event {

struct limits {
  std::size_t max_events = 500;             // per request; more refuses the body (413)
  std::size_t max_event_bytes = 32 * 1024;  // one event's JSON text
  std::size_t max_depth = 16;               // nesting of the whole body
  std::size_t max_props_bytes = 16 * 1024;  // `props` as compact JSON
  std::size_t max_props_depth = 8;          // nesting inside `props`
};

// Why input was refused; to_string gives the snake_case code used in answers, metrics and the
// bad topic (e.g. "invalid_json").
enum class reason {
  invalid_json,      // body: not parseable JSON
  invalid_utf8,      // body: not valid UTF-8
  too_deep,          // body: nesting over max_depth
  too_many_events,   // body: over max_events
  no_events,         // body: an empty array or envelope
  not_an_object,     // event: an array element that is not an object
  event_too_large,   // event: over max_event_bytes
  missing_field,     // event: a required field (type) is absent
  invalid_field,     // event: wrong JSON type or malformed value (detail names the field)
  unknown_field,     // event: a key the schema does not have, or one only the collector sets
  invalid_type,      // event: `type` is not a known type nor [a-z][a-z0-9_.:-]{0,63}
  invalid_event_id,  // event: `event_id` present but not a UUID
  props_invalid,     // event: `props` not an object, over max_props_bytes or max_props_depth
  site_mismatch,     // event: names another site (app id, write key) than its request (compat doors)
};
const char* to_string(reason r) noexcept;

struct problem {
  reason why;
  std::string detail;  // one sentence for the client: the field, the limit, the fix
};

struct rejection {
  std::size_t index;  // position in the batch
  problem what;
  std::string raw;  // the event's JSON text as sent, cut to max_event_bytes
};

struct batch {
  std::optional<problem> refused;  // set: the body as a whole was refused; nothing else is set
  std::vector<event> events;       // valid events, client fields filled, collector fields not
  std::vector<rejection> rejected;
  std::optional<std::string> site;  // the envelope's (or a lone event's) "site" key
  opt_i64 sent_ts;                  // the envelope's sent_ts; events may carry their own
};

batch decode_batch(std::string_view body, const limits& lim = {});
// The same for a body with simdjson's padding past its end (event::padded() in json_parser.h):
// parsed where it lies, without the copy decode_batch makes.
batch decode_padded_batch(simdjson::padded_string_view body, const limits& lim = {});

}  // namespace clicktrail::event
