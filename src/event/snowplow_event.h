#pragma once
// One Snowplow tp2 event, its parameters already taken out of their transport (a payload_data
// object or a query string), into a schema-v1 event. Private to event/: snowplow_decode.cc calls
// it; docs/compat-snowplow.md is the mapping it follows. snowplow_event.cc reads the parameters,
// snowplow_nested.cc the JSON inside two of them (ue_pr/ue_px, co/cx).

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "event/decode.h"
#include "event/fields.h"
#include "event/snowplow_decode.h"

namespace clicktrail::event {

// A parameter as sent, percent-decoding and JSON unescaping done; valid UTF-8.
struct tp2_param {
  std::string_view name, value;
};

// What snowplow_event.cc and snowplow_nested.cc share.
namespace tp2 {

// The parameters read so far that need the others before they land: `e` decides what se_* and
// ue_* mean, ttm wins over dtm, the scroll depth needs three of them.
struct reading {
  event& e;
  foreign_hints& hints;
  std::string& snowplow;  // the members of props.snowplow so far, comma-separated
  std::string& top;       // the members of props itself
  std::string_view kind = {};
  opt_i64 dtm = {}, ttm = {};
  std::array<const tp2_param*, 5> se{};  // se_ca, se_ac, se_la, se_pr, se_va
  const tp2_param* ue = nullptr;         // ue_pr or ue_px
  const tp2_param* co = nullptr;         // co or cx
  opt_i64 pp_may = {}, vp_h = {}, ds_h = {};
  bool kept_schema = false, kept_data = false, kept_contexts = false;
};

// "parameter <name> ("<value>") <what>": invalid_field.
problem invalid(const tp2_param& p, std::string_view what);

// Appends `"name":` to the members of a JSON object being written, after a comma if needed.
void member(std::string& object, std::string_view name);

// Sets the column `f` (an optional text field) to `value`, cut to its limit with `truncated`.
void assign_text(const field& f, std::string_view value, event& e);

// How deep a value may still nest under props at depth `used` (props itself is depth 1).
std::size_t depth_left(const limits& lim, std::size_t used) noexcept;
problem too_deep(const limits& lim, std::string_view what);

// e=ue: the type from the schema's name, the data lifted into props (or props.snowplow.data),
// the schema into props.snowplow.schema, a link click's members into the target columns.
std::optional<problem> read_self_describing(reading& ev, const limits& lim);

// co/cx: the entities into props.snowplow.contexts.
std::optional<problem> read_contexts(reading& ev, const limits& lim);

}  // namespace tp2

// Reads the parameters (in the order sent) into `out` and `hints`, both empty on entry. A problem
// rejects the event; `out` and `hints` are then to be dropped.
std::optional<problem> read_tp2_event(std::span<const tp2_param> params, const limits& lim, event& out,
                                      foreign_hints& hints);

}  // namespace clicktrail::event
