#pragma once
// One Segment message → one event and its hints, by the table of docs/compat-segment.md
// ("Fields", "Types"). Internal to event/: decode_segment (segment_decode.cc) reads the body, the
// batch and the limits and calls this for each message. Stateless; thread-safe.

#include <simdjson.h>

#include <optional>
#include <string_view>

#include "event/segment_decode.h"

namespace clicktrail::event {

// Reads `message` as a `call` (not segment_call::batch) into `e` (empty) and `h`. A problem
// leaves both partly filled: the caller drops them.
std::optional<problem> read_segment_message(simdjson::dom::object message, segment_call call,
                                            const limits& lim, event& e, foreign_hints& h);

// A Segment time: ISO 8601 text with a zone (what Date.toISOString() writes) or an integer of ms
// since 1970, from 1970 to 9999.
std::optional<problem> read_segment_time(std::string_view key, simdjson::dom::element value, opt_i64& out);

// "<key> must be <expected>, got <what was sent>; …": the invalid_field problem.
problem segment_wrong_type(std::string_view key, simdjson::dom::element value, std::string_view expected);

}  // namespace clicktrail::event
