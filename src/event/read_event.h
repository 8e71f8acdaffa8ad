#pragma once
// Reading one JSON event object into `event`, field by field, following the table in fields.h.
// decode_batch reads what trackers send; decode_stored reads back what encode() wrote. They
// differ in who may set what and in what is forgiven:
//
//   origin::tracker  only fields a tracker may send; long text is cut to its column limit (and
//                    `truncated` set); props must fit the limits; `type` is required;
//                    event_id is kept lower case.
//   origin::stored   every field; text is taken as written, without limits; the fields encode()
//                    always writes are required.
//
// Either way a value of the wrong JSON type, out of range or malformed is a problem, and JSON
// null stands for an absent optional field.

#include <simdjson.h>

#include <optional>

#include "event/decode.h"
#include "event/event.h"
#include "event/fields.h"

namespace clicktrail::event {

enum class origin : std::uint8_t { tracker, stored };

// Reads `value` (not null) into `out`'s member for `f`.
std::optional<problem> read_field(const field& f, simdjson::dom::element value, origin from,
                                  const limits& lim, event& out);

// Reads every member of `object` into `out`; the first problem stops it. `named`, if given, gets
// the set of fields the object names, null ones too (bit field_index(f)).
std::optional<problem> read_event(simdjson::dom::object object, origin from, const limits& lim, event& out,
                                  std::uint64_t* named = nullptr);

// Whether `s` is a valid `type`: [a-z][a-z0-9_.:-]{0,63} (the built-in names match it too).
bool is_event_type(std::string_view s) noexcept;

// "a number", "an object", …: what a client sent instead, for messages.
const char* json_type_name(simdjson::dom::element value) noexcept;

// A value quoted in a message: at most 64 bytes of it, so that a detail stays one short line.
std::string shown(std::string_view value);

}  // namespace clicktrail::event
