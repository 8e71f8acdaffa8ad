#pragma once
// One Snowplow tp2 event, its parameters already taken out of their transport (a payload_data
// object or a query string), into a schema-v1 event. Private to event/: snowplow_decode.cc calls
// it; docs/compat-snowplow.md is the mapping it follows.

#include <optional>
#include <span>
#include <string_view>

#include "event/decode.h"
#include "event/snowplow_decode.h"

namespace clicktrail::event {

// A parameter as sent, percent-decoding and JSON unescaping done; valid UTF-8.
struct tp2_param {
  std::string_view name, value;
};

// Reads the parameters (in the order sent) into `out` and `hints`, both empty on entry. A problem
// rejects the event; `out` and `hints` are then to be dropped.
std::optional<problem> read_tp2_event(std::span<const tp2_param> params, const limits& lim, event& out,
                                      foreign_hints& hints);

}  // namespace clicktrail::event
