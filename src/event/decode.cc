#include "event/decode.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "event/json_parser.h"
#include "event/json_text.h"
#include "event/raw_json.h"
#include "event/read_event.h"

namespace clicktrail::event {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view body_forms =
    "send one event object, an array of them, or {\"sent_ts\": …, \"site\": …, \"events\": […]}";

void refuse(batch& out, problem why) {
  out = batch{};
  out.refused = std::move(why);
}

problem parse_problem(simdjson::error_code error, const limits& lim) {
  switch (error) {
    case simdjson::UTF8_ERROR:
      return {reason::invalid_utf8, "the body is not valid UTF-8; send text encoded as UTF-8"};
    case simdjson::DEPTH_ERROR:
      return {
          reason::too_deep,
          fmt::format("the body nests objects and arrays more than {} deep; flatten props", lim.max_depth)};
    default:
      return {reason::invalid_json,
              fmt::format("the body is not valid JSON ({}); {}", simdjson::error_message(error), body_forms)};
  }
}

// Reads the event at `index` of the batch. `raw_text()` gives the event's JSON text as sent: it
// is measured only when the body itself is over the event limit (otherwise no event can be) and
// copied only for a rejection.
template <class RawText>
void read_one(dom::element value, std::size_t index, const RawText& raw_text, bool check_size,
              const limits& lim, batch& out) {
  const auto reject = [&](problem why) {
    out.rejected.push_back({index, std::move(why), std::string(cut_utf8(raw_text(), lim.max_event_bytes))});
  };
  dom::object object;
  if (value.get_object().get(object)) {
    return reject(
        {reason::not_an_object, fmt::format("event {} is {}, not an object; send each event as a JSON object",
                                            index, json_type_name(value))});
  }
  if (check_size) {
    if (const std::size_t size = raw_text().size(); size > lim.max_event_bytes) {
      return reject(
          {reason::event_too_large,
           fmt::format("event {} is {} bytes of JSON, over the limit of {}; shorten its text or props", index,
                       size, lim.max_event_bytes)});
    }
  }
  // Read in place: an event is large, and most are valid.
  event& e = out.events.emplace_back();
  if (auto why = read_event(object, origin::tracker, lim, e)) {
    out.events.pop_back();
    return reject(std::move(*why));
  }
  if (!e.sent_ts) e.sent_ts = out.sent_ts;
}

void read_events(dom::array events, std::string_view array_text, bool check_sizes, const limits& lim,
                 batch& out) {
  const std::size_t count = events.size();
  if (count == 0)
    return refuse(out, {reason::no_events, fmt::format("the body has no events; {}", body_forms)});
  if (count > lim.max_events) {
    return refuse(out,
                  {reason::too_many_events,
                   fmt::format("the body has {} events, over the limit of {}; send them in several requests",
                               count, lim.max_events)});
  }
  out.events.reserve(count);
  raw::array_cursor cursor(array_text);
  std::size_t index = 0;
  for (const dom::element value : events) {
    read_one(
        value, index, [&] { return cursor.element(index); }, check_sizes, lim, out);
    ++index;
  }
}

// {"sent_ts": …, "site": …, "events": […]}: its sent_ts and site apply to the whole batch.
void read_envelope(dom::object envelope, std::string_view text, bool check_sizes, const limits& lim,
                   batch& out) {
  dom::array events;
  std::size_t events_member = 0, member_index = 0;
  bool seen_events = false, seen_sent_ts = false, seen_site = false;
  event envelope_fields;  // sent_ts and site, read by the events' own rules
  for (const dom::key_value_pair member : envelope) {
    const std::size_t at = member_index++;
    const std::string_view key = member.key;
    bool* seen = key == "events"    ? &seen_events
                 : key == "sent_ts" ? &seen_sent_ts
                 : key == "site"    ? &seen_site
                                    : nullptr;
    if (!seen) {
      return refuse(out,
                    {reason::unknown_field,
                     fmt::format("unknown envelope key \"{}\"; an envelope has only sent_ts, site and events",
                                 shown(key))});
    }
    if (*seen) {
      return refuse(out,
                    {reason::invalid_field, fmt::format("envelope key {} appears twice; send it once", key)});
    }
    *seen = true;
    if (seen == &seen_events) {
      if (member.value.get_array().get(events)) {
        return refuse(
            out, {reason::invalid_field, fmt::format("events must be an array of event objects, got {}; {}",
                                                     json_type_name(member.value), body_forms)});
      }
      events_member = at;
    } else if (!member.value.is_null()) {
      if (auto why = read_field(*find_field(key), member.value, origin::tracker, lim, envelope_fields)) {
        return refuse(out, std::move(*why));
      }
      if (seen == &seen_site) out.site = envelope_fields.site;
    }
  }
  out.sent_ts = envelope_fields.sent_ts;
  read_events(events, raw::value_onward(text, events_member), check_sizes, lim, out);
}

// A lone event may name the site, which then counts for the batch (even if the event is
// rejected: the answer still goes to that site).
void read_lone_event(dom::element root, dom::object object, std::string_view text, bool check_sizes,
                     const limits& lim, batch& out) {
  std::string_view site;
  if (object.at_key("site").get_string().get(site) == simdjson::SUCCESS) out.site.emplace(site);
  read_one(
      root, 0, [&] { return text; }, check_sizes, lim, out);
}

}  // namespace

batch decode_batch(std::string_view body, const limits& lim) {
  return decode_padded_batch(simdjson::padded_string_view(body, body.size()), lim);
}

batch decode_padded_batch(simdjson::padded_string_view body, const limits& lim) {
  thread_local json_parser parser;
  batch out;
  dom::element root;
  if (const auto error = parser.parse(body, lim.max_depth, root)) {
    out.refused = parse_problem(error, lim);
    return out;
  }
  // The DOM points into the parser's own buffers; raw text is taken from the body.
  const std::string_view text = raw::trim(body);
  const bool check_sizes = body.size() > lim.max_event_bytes;
  dom::array array;
  dom::object object;
  if (root.get_array().get(array) == simdjson::SUCCESS) {
    read_events(array, text, check_sizes, lim, out);
  } else if (root.get_object().get(object) != simdjson::SUCCESS) {
    refuse(out, {reason::not_an_object, fmt::format("the body is {}, not an object or array; {}",
                                                    json_type_name(root), body_forms)});
  } else if (object.at_key("events").error() == simdjson::SUCCESS) {
    read_envelope(object, text, check_sizes, lim, out);
  } else {
    read_lone_event(root, object, text, check_sizes, lim, out);
  }
  return out;
}

}  // namespace clicktrail::event
