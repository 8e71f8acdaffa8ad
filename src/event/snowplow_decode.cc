#include "event/snowplow_decode.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "base/text.h"
#include "event/json_parser.h"
#include "event/json_text.h"
#include "event/raw_json.h"
#include "event/read_event.h"
#include "event/snowplow_event.h"
#include "event/valid_utf8.h"

namespace clicktrail::event {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view payload_schema =
    "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-";
constexpr std::string_view body_form =
    "send {\"schema\": \"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4\", \"data\": "
    "[events]}, as Snowplow's trackers do";

void refuse(foreign_batch& out, problem why) {
  out = foreign_batch{};
  out.base.refused = std::move(why);
}

problem parse_problem(simdjson::error_code error, const limits& lim) {
  switch (error) {
    case simdjson::UTF8_ERROR:
      return {reason::invalid_utf8, "the body is not valid UTF-8; send text encoded as UTF-8"};
    case simdjson::DEPTH_ERROR:
      return {reason::too_deep, fmt::format("the body nests objects and arrays more than {} deep; {}",
                                            lim.max_depth, body_form)};
    default:
      return {reason::invalid_json,
              fmt::format("the body is not valid JSON ({}); {}", simdjson::error_message(error), body_form)};
  }
}

// Reads the event at `index` from its parameters; `raw_text()` gives its text as sent, copied
// only for a rejection.
template <class RawText>
void read_params(std::span<const tp2_param> params, std::size_t index, const RawText& raw_text,
                 const limits& lim, foreign_batch& out) {
  // Read in place: most events are valid.
  event& e = out.base.events.emplace_back();
  foreign_hints& hints = out.hints.emplace_back();
  if (auto why = read_tp2_event(params, lim, e, hints)) {
    out.base.events.pop_back();
    out.hints.pop_back();
    out.base.rejected.push_back(
        {index, std::move(*why), std::string(cut_utf8(raw_text(), lim.max_event_bytes))});
  }
}

// One element of payload_data's `data`: an object whose every value is a string.
template <class RawText>
void read_object(dom::element value, std::size_t index, const RawText& raw_text, bool check_size,
                 const limits& lim, foreign_batch& out) {
  const auto reject = [&](problem why) {
    out.base.rejected.push_back(
        {index, std::move(why), std::string(cut_utf8(raw_text(), lim.max_event_bytes))});
  };
  dom::object object;
  if (value.get_object().get(object)) {
    return reject({reason::not_an_object, fmt::format("event {} is {}, not an object of tp2 parameters",
                                                      index, json_type_name(value))});
  }
  std::string_view aid;
  if (index == 0 && object["aid"].get_string().get(aid) == simdjson::SUCCESS) out.source_key.assign(aid);
  if (check_size) {
    if (const std::size_t size = raw_text().size(); size > lim.max_event_bytes) {
      return reject(
          {reason::event_too_large,
           fmt::format("event {} is {} bytes of JSON, over the limit of {}; send fewer or smaller contexts",
                       index, size, lim.max_event_bytes)});
    }
  }
  thread_local std::vector<tp2_param> params;
  params.clear();
  for (const dom::key_value_pair member : object) {
    std::string_view s;
    if (member.value.get_string().get(s)) {
      return reject({reason::invalid_field,
                     fmt::format("parameter {} is {}; payload_data sends every value as a string",
                                 shown(member.key), json_type_name(member.value))});
    }
    params.push_back({member.key, s});
  }
  read_params(params, index, raw_text, lim, out);
}

// `schema` names payload_data 1-0-0 … 1-0-4.
bool is_payload_schema(std::string_view schema) noexcept {
  return schema.size() == payload_schema.size() + 1 && schema.starts_with(payload_schema) &&
         schema.back() >= '0' && schema.back() <= '4';
}

// application/x-www-form-urlencoded: %XX is the byte, '+' a space (as Snowplow's enrich reads
// it; the trackers' encodeURIComponent writes a '+' as %2B). Appends the decoded text to `out`
// and gives a view of it; nullopt on a malformed escape. The text is never longer than `in`, so
// an `out` reserved for the whole query never moves and earlier views stay valid.
std::optional<std::string_view> percent_decode(std::string_view in, std::string& out) {
  const std::size_t start = out.size();
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c != '%') {
      out.push_back(c);
    } else {
      const int hi = i + 2 < in.size() ? base::hex_value(in[i + 1]) : -1;
      const int lo = hi >= 0 ? base::hex_value(in[i + 2]) : -1;
      if (lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    }
  }
  return std::string_view(out).substr(start);
}

}  // namespace

foreign_batch decode_tp2_body(std::string_view body, const limits& lim) {
  thread_local json_parser parser;
  foreign_batch out;
  dom::element root;
  if (const auto error = parser.parse(body, lim.max_depth, root)) {
    refuse(out, parse_problem(error, lim));
    return out;
  }
  dom::object envelope;
  if (root.get_object().get(envelope)) {
    refuse(out, {reason::invalid_field,
                 fmt::format("the body is {}, not payload_data; {}", json_type_name(root), body_form)});
    return out;
  }
  dom::array events;
  std::size_t data_member = 0, member_index = 0;
  bool seen_schema = false, seen_data = false;
  for (const dom::key_value_pair member : envelope) {
    const std::size_t at = member_index++;
    std::string_view schema;
    if (member.key == "schema" && !seen_schema) {
      seen_schema = true;
      if (member.value.get_string().get(schema) || !is_payload_schema(schema)) {
        refuse(out, {reason::invalid_field,
                     fmt::format("schema is not payload_data 1-0-0 … 1-0-4; {}", body_form)});
        return out;
      }
    } else if (member.key == "data" && !seen_data) {
      seen_data = true;
      data_member = at;
      if (member.value.get_array().get(events)) {
        refuse(out, {reason::invalid_field, fmt::format("data is {}, not an array of events; {}",
                                                        json_type_name(member.value), body_form)});
        return out;
      }
    } else {
      const bool twice = member.key == "schema" || member.key == "data";
      refuse(out, {twice ? reason::invalid_field : reason::unknown_field,
                   fmt::format("payload_data has {} key \"{}\"; {}", twice ? "a second" : "an unknown",
                               shown(member.key), body_form)});
      return out;
    }
  }
  if (!seen_schema || !seen_data) {
    refuse(out, {reason::invalid_field,
                 fmt::format("payload_data has no {}; {}", seen_schema ? "data" : "schema", body_form)});
    return out;
  }
  const std::size_t count = events.size();
  if (count == 0) {
    refuse(out, {reason::no_events, fmt::format("payload_data has no events; {}", body_form)});
    return out;
  }
  if (count > lim.max_events) {
    refuse(out,
           {reason::too_many_events,
            fmt::format("payload_data has {} events, over the limit of {}; lower the tracker's bufferSize or "
                        "maxPostBytes",
                        count, lim.max_events)});
    return out;
  }
  out.base.events.reserve(count);
  out.hints.reserve(count);
  // The DOM points into the parser's copy; raw text is taken from the caller's body, and measured
  // only when the body itself is over the event limit (otherwise no event can be).
  raw::array_cursor cursor(raw::value_onward(raw::trim(body), data_member));
  const bool check_sizes = body.size() > lim.max_event_bytes;
  std::size_t index = 0;
  for (const dom::element value : events) {
    read_object(
        value, index, [&] { return cursor.element(index); }, check_sizes, lim, out);
    ++index;
  }
  return out;
}

foreign_batch decode_tp2_query(std::string_view query, const limits& lim) {
  foreign_batch out;
  if (query.starts_with('?')) query.remove_prefix(1);
  if (query.empty()) {
    refuse(out,
           {reason::no_events, "the query string is empty; send one event's tp2 parameters, as GET /i does"});
    return out;
  }
  const auto raw_text = [&] { return query; };
  const auto reject = [&](problem why) {
    out.base.rejected.push_back({0, std::move(why), std::string(cut_utf8(query, lim.max_event_bytes))});
  };
  if (query.size() > lim.max_event_bytes) {
    reject({reason::event_too_large,
            fmt::format("the query string is {} bytes, over the event limit of {}; send "
                        "fewer or smaller contexts, or use POST",
                        query.size(), lim.max_event_bytes)});
    return out;
  }
  // The decoded names and values, one after another.
  thread_local std::string decoded;
  thread_local std::vector<tp2_param> params;
  decoded.clear();
  decoded.reserve(query.size());
  params.clear();
  for (std::size_t begin = 0; begin <= query.size();) {
    std::size_t end = query.find('&', begin);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(begin, end - begin);
    begin = end + 1;
    if (pair.empty()) continue;
    const std::size_t equals = std::min(pair.find('='), pair.size());
    const auto name = percent_decode(pair.substr(0, equals), decoded);
    const auto value = name ? percent_decode(pair.substr(std::min(equals + 1, pair.size())), decoded) : name;
    if (!name || !value) {
      reject({reason::invalid_field,
              fmt::format("the query string has a malformed %-escape in \"{}\"; percent-encode it as "
                          "encodeURIComponent does",
                          shown(pair))});
      return out;
    }
    if (!valid_utf8(*name) || !valid_utf8(*value)) {
      reject({reason::invalid_field,
              fmt::format("parameter {} is not valid UTF-8 once percent-decoded; send UTF-8",
                          shown(pair.substr(0, equals)))});
      return out;
    }
    params.push_back({*name, *value});
    if (*name == "aid" && out.source_key.empty()) out.source_key.assign(*value);
  }
  read_params(params, 0, raw_text, lim, out);
  return out;
}

const base::uuid& snowplow_id_namespace() noexcept {
  // uuid5(NAMESPACE_URL, "https://github.com/clicktrail/clicktrail#snowplow-event-id"), written
  // out so that it costs nothing; base/tests/uuid_test.cc derives it.
  static const base::uuid ns = *base::parse_uuid("4c83709b-cd83-554c-88f6-b8b9b901884e");
  return ns;
}

}  // namespace clicktrail::event
