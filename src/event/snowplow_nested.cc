// The JSON inside two tp2 parameters: the self-describing event (ue_pr, or ue_px in base64) and
// the contexts (co, or cx in base64), each parsed once more on a parser of its own. See
// snowplow_event.h.

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <string>

#include "base/base64.h"
#include "event/json_parser.h"
#include "event/json_text.h"
#include "event/raw_json.h"
#include "event/read_event.h"
#include "event/snowplow_event.h"

namespace clicktrail::event::tp2 {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view contexts_schema = "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-";
constexpr std::string_view unstruct_schema =
    "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-";
constexpr std::string_view link_click_schema =
    "iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-";

// Parses the JSON in `p` (plain, or base64 for ue_px and cx) with a parser of its own: the body's
// DOM is still in use. `text` is the JSON's text, valid until the next call.
std::optional<problem> nested_json(const tp2_param& p, bool base64, std::string_view what, const limits& lim,
                                   dom::element& root, std::string_view& text) {
  thread_local json_parser parser;
  thread_local std::string decoded;
  text = p.value;
  if (base64) {
    auto bytes = base::decode_base64_any(p.value);
    if (!bytes) return invalid(p, fmt::format("is not base64 of {} JSON", what));
    decoded = std::move(*bytes);
    text = decoded;
  }
  if (const auto error = parser.parse(text, lim.max_depth, root)) {
    return invalid(p, fmt::format("is not {} JSON ({})", what, simdjson::error_message(error)));
  }
  return std::nullopt;
}

// Where the member `key` that operator[] finds (the first one) is among the members of `object`,
// in the order sent: for raw::value_onward. The caller has found it.
std::size_t member_index(dom::object object, std::string_view key) {
  std::size_t index = 0;
  for (const dom::key_value_pair m : object) {
    if (m.key == key) break;
    ++index;
  }
  return index;
}

// `iglu:vendor/name/format/version` → name.
std::optional<std::string_view> iglu_name(std::string_view uri) {
  if (!uri.starts_with("iglu:")) return std::nullopt;
  uri.remove_prefix(5);
  std::array<std::string_view, 4> parts;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::size_t slash = i + 1 < parts.size() ? uri.find('/') : uri.size();
    if (slash == std::string_view::npos || slash == 0) return std::nullopt;
    parts[i] = uri.substr(0, slash);
    uri.remove_prefix(std::min(slash + 1, uri.size()));
  }
  if (parts[3].find('/') != std::string_view::npos) return std::nullopt;
  return parts[1];
}

// The link click plugin's members that have columns; true when `name` was one and is used.
bool link_click_column(reading& ev, std::string_view name, dom::element value) {
  std::string_view s;
  const char* column = name == "targetUrl"        ? "target_href"
                       : name == "elementId"      ? "target_id"
                       : name == "elementContent" ? "target_text"
                                                  : nullptr;
  if (column) {
    if (value.get_string().get(s)) return false;
    assign_text(*find_field(column), s, ev.e);
    return true;
  }
  if (name != "elementClasses") return false;
  dom::array classes;
  if (value.get_array().get(classes)) return false;
  std::string joined;
  for (const dom::element c : classes) {
    if (c.get_string().get(s)) return false;
    if (!joined.empty()) joined.push_back(' ');
    joined.append(s);
  }
  assign_text(*find_field("target_classes"), joined, ev.e);
  return true;
}

}  // namespace

// ue_pr / ue_px: {"schema": "…/unstruct_event/…/1-0-*", "data": {"schema": "iglu:…", "data": …}}.
std::optional<problem> read_self_describing(reading& ev, const limits& lim) {
  const tp2_param& p = *ev.ue;
  dom::element root;
  std::string_view text;
  if (auto why = nested_json(p, p.name == "ue_px", "a self-describing event", lim, root, text)) return why;
  std::string_view outer, schema;
  dom::object inner;
  dom::element data;
  if (root["schema"].get_string().get(outer) || !outer.starts_with(unstruct_schema) ||
      root["data"].get_object().get(inner) || inner["schema"].get_string().get(schema) ||
      inner["data"].get(data)) {
    return invalid(p, "is not an unstruct_event 1-0-* JSON with data {\"schema\": \"iglu:…\", \"data\": …}");
  }
  const auto name = iglu_name(schema);
  if (!name) return invalid(p, "has an event schema that is not iglu:vendor/name/format/version");
  std::string type(*name);
  for (char& c : type) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  if (!is_event_type(type)) {
    return problem{reason::invalid_type,
                   fmt::format("the self-describing event's schema name \"{}\", lower-cased, is not a type "
                               "[a-z][a-z0-9_.:-]{{0,63}}; rename the schema",
                               shown(type))};
  }
  ev.e.type = std::move(type);
  if (ev.kept_schema)
    return invalid(p, "comes with a parameter named schema, which props.snowplow.schema needs");
  member(ev.snowplow, "schema");
  write_string(ev.snowplow, schema);

  dom::object object;
  const bool lift = data.get_object().get(object) == simdjson::SUCCESS && object["snowplow"].error();
  if (!lift) {
    if (ev.kept_data) return invalid(p, "comes with a parameter named data, which props.snowplow.data needs");
    member(ev.snowplow, "data");
    if (!write_compact(ev.snowplow, data, depth_left(lim, 2))) return too_deep(lim, "the event's data");
    return std::nullopt;
  }
  const bool link_click = schema.starts_with(link_click_schema);
  if (!link_click) {
    // The trackers send the data compact: its members are copied as they are.
    const std::string_view inner_text =
        raw::value_onward(raw::trim(text), member_index(root.get_object().value_unsafe(), "data"));
    const std::string_view data_text =
        raw::compact_value(raw::value_onward(inner_text, member_index(inner, "data")), lim.max_props_depth);
    if (!data_text.empty()) {
      const std::string_view members = data_text.substr(1, data_text.size() - 2);
      if (!ev.top.empty() && !members.empty()) ev.top.push_back(',');
      ev.top.append(members);
      return std::nullopt;
    }
  }
  for (const dom::key_value_pair m : object) {
    if (link_click && link_click_column(ev, m.key, m.value)) continue;
    member(ev.top, m.key);
    if (!write_compact(ev.top, m.value, depth_left(lim, 1))) return too_deep(lim, "the event's data");
  }
  return std::nullopt;
}

// co / cx: {"schema": "…/contexts/…/1-0-*", "data": [entities]} → props.snowplow.contexts.
std::optional<problem> read_contexts(reading& ev, const limits& lim) {
  const tp2_param& p = *ev.co;
  dom::element root;
  std::string_view text;
  if (auto why = nested_json(p, p.name == "cx", "a contexts", lim, root, text)) return why;
  std::string_view schema;
  dom::element data;
  if (root["schema"].get_string().get(schema) || !schema.starts_with(contexts_schema) ||
      root["data"].get(data) || !data.is_array()) {
    return invalid(p, "is not a contexts 1-0-* JSON with a data array");
  }
  if (ev.kept_contexts)
    return invalid(p, "comes with a parameter named contexts, which props.snowplow.contexts needs");
  member(ev.snowplow, "contexts");
  // The trackers send the entities compact: copied as they are, not written out again.
  const std::size_t depth = depth_left(lim, 2);
  if (const auto raw_data = raw::compact_value(
          raw::value_onward(raw::trim(text), member_index(root.get_object().value_unsafe(), "data")), depth);
      !raw_data.empty()) {
    ev.snowplow.append(raw_data);
    return std::nullopt;
  }
  if (!write_compact(ev.snowplow, data, depth)) return too_deep(lim, "the contexts");
  return std::nullopt;
}

}  // namespace clicktrail::event::tp2
