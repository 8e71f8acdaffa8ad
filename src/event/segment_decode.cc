#include "event/segment_decode.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <limits>
#include <optional>

#include "event/json_parser.h"
#include "event/json_text.h"
#include "event/raw_json.h"
#include "event/read_event.h"
#include "event/segment_message.h"

namespace clicktrail::event {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view body_forms =
    "send one Segment message object, or {\"batch\": [messages…]} to /batch (Segment's HTTP Tracking API)";

problem parse_problem(simdjson::error_code error, const limits& lim) {
  switch (error) {
    case simdjson::UTF8_ERROR:
      return {reason::invalid_utf8, "the body is not valid UTF-8; send text encoded as UTF-8"};
    case simdjson::DEPTH_ERROR:
      return {
          reason::too_deep,
          fmt::format("the body nests objects and arrays more than {} deep; flatten properties and traits",
                      lim.max_depth)};
    default:
      return {reason::invalid_json,
              fmt::format("the body is not valid JSON ({}); {}", simdjson::error_message(error), body_forms)};
  }
}

// The message types a batch member may name.
struct call_name {
  std::string_view name;
  segment_call call;
};
constexpr call_name calls[] = {
    {"track", segment_call::track},       {"page", segment_call::page},   {"screen", segment_call::screen},
    {"identify", segment_call::identify}, {"group", segment_call::group}, {"alias", segment_call::alias},
};

struct decoder {
  const limits& lim;
  const segment_limits& seg;
  foreign_batch& out;

  void refuse(problem why) {
    out = foreign_batch{};
    out.base.refused = std::move(why);
  }

  void reject(std::size_t index, problem why, std::string_view raw) {
    out.base.rejected.push_back({index, std::move(why), std::string(cut_utf8(raw, seg.max_message_bytes))});
  }

  // The message at `index`; `raw_text()` gives its JSON text as sent (measured only when the
  // body could hold a message over the limit, copied only for a rejection).
  template <class RawText>
  void read_one(dom::element value, std::size_t index, std::optional<segment_call> call,
                const RawText& raw_text, bool check_size, opt_i64 batch_sent_ts) {
    dom::object message;
    if (value.get_object().get(message)) {
      return reject(index,
                    {reason::not_an_object, fmt::format("message {} is {}, not an object; send each message "
                                                        "as a JSON object",
                                                        index, json_type_name(value))},
                    raw_text());
    }
    if (check_size) {
      if (const std::size_t size = raw_text().size(); size > seg.max_message_bytes) {
        return reject(index,
                      {reason::event_too_large,
                       fmt::format("message {} is {} bytes of JSON, over Segment's limit of {}; send less "
                                   "in properties or traits",
                                   index, size, seg.max_message_bytes)},
                      raw_text());
      }
    }
    if (!call) {  // a batch member names its type
      std::string_view type;
      const auto member = message.at_key("type");
      if (member.error() || member.value_unsafe().is_null()) {
        return reject(index,
                      {reason::missing_field,
                       fmt::format("message {} has no type; send one of track, page, screen, identify, "
                                   "group, alias",
                                   index)},
                      raw_text());
      }
      if (member.get_string().get(type) == simdjson::SUCCESS) {
        for (const call_name& c : calls) {
          if (c.name == type) call = c.call;
        }
      }
      if (!call) {
        return reject(
            index,
            {reason::invalid_type, fmt::format("message {} has type \"{}\", not one of track, page, "
                                               "screen, identify, group, alias",
                                               index, shown(type))},
            raw_text());
      }
    }
    event& e = out.base.events.emplace_back();
    foreign_hints& h = out.hints.emplace_back();
    if (auto why = read_segment_message(message, *call, lim, e, h)) {
      out.base.events.pop_back();
      out.hints.pop_back();
      return reject(index, std::move(*why), raw_text());
    }
    if (!e.sent_ts) e.sent_ts = batch_sent_ts;
    if (h.source_key.empty()) h.source_key = out.source_key;
  }

  void single(dom::element root, dom::object message, std::string_view text, segment_call call) {
    std::string_view key;
    if (message.at_key("writeKey").get_string().get(key) == simdjson::SUCCESS) out.source_key.assign(key);
    read_one(
        root, 0, call, [&] { return text; }, false, std::nullopt);
  }

  // {"batch": [...], "writeKey": "…", "sentAt": "…"}: writeKey and sentAt apply to every
  // message that has none of its own.
  void batch_body(dom::object body, std::string_view text, bool check_sizes) {
    dom::array messages;
    bool seen_batch = false;
    std::size_t batch_member = 0, at = 0;
    opt_i64 sent_ts;
    for (const dom::key_value_pair member : body) {
      const std::size_t index = at++;
      const std::string_view key = member.key;
      if (key == "batch") {
        if (member.value.get_array().get(messages)) {
          return refuse({reason::invalid_field, fmt::format("batch must be an array of messages, got {}; {}",
                                                            json_type_name(member.value), body_forms)});
        }
        seen_batch = true;
        batch_member = index;
      } else if (key == "writeKey" && !member.value.is_null()) {
        std::string_view write_key;
        if (member.value.get_string().get(write_key)) {
          return refuse(segment_wrong_type("writeKey", member.value, "a string"));
        }
        out.source_key.assign(write_key);
      } else if (key == "sentAt" && !member.value.is_null()) {
        if (auto why = read_segment_time("sentAt", member.value, sent_ts)) return refuse(std::move(*why));
      }
      // Anything else (a top-level context or integrations, which no Segment library sends) is
      // ignored (docs/compat-segment.md, Fields: "Decided with the decoder").
    }
    if (!seen_batch) {
      return refuse({reason::invalid_field, fmt::format("the body has no batch array; {}", body_forms)});
    }
    const std::size_t count = messages.size();
    if (count == 0) return refuse({reason::no_events, fmt::format("batch is empty; {}", body_forms)});
    if (count > lim.max_events) {
      return refuse({reason::too_many_events,
                     fmt::format("batch has {} messages, over the limit of {}; send them in several requests",
                                 count, lim.max_events)});
    }
    if (out.source_key.empty()) {  // the first message's, as docs/compat-segment.md says
      std::string_view write_key;
      if (messages.at(0).at_key("writeKey").get_string().get(write_key) == simdjson::SUCCESS)
        out.source_key.assign(write_key);
    }
    out.base.events.reserve(count);
    out.hints.reserve(count);
    raw::array_cursor cursor(raw::value_onward(text, batch_member));
    std::size_t index = 0;
    for (const dom::element value : messages) {
      read_one(
          value, index, std::nullopt, [&] { return cursor.element(index); }, check_sizes, sent_ts);
      ++index;
    }
  }
};

}  // namespace

const base::uuid& segment_id_namespace() noexcept {
  static const base::uuid ns = *base::parse_uuid("ca0ce16b-88b8-543c-a35d-0ea05e9eebec");
  return ns;
}

foreign_batch decode_segment(std::string_view body, segment_call call, const limits& lim,
                             const segment_limits& seg) {
  thread_local json_parser parser;
  foreign_batch out;
  decoder d{lim, seg, out};
  if (body.size() > seg.max_batch_bytes) {
    d.refuse(
        {reason::event_too_large,
         fmt::format("the body is {} bytes, over Segment's batch limit of {}; send fewer messages a request",
                     body.size(), seg.max_batch_bytes)});
    return out;
  }
  if (call != segment_call::batch && body.size() > seg.max_message_bytes) {
    // One message: the body is the message. Rejected unread, as Segment does.
    d.reject(
        0,
        {reason::event_too_large,
         fmt::format("the message is {} bytes, over Segment's limit of {}; send less in properties or traits",
                     body.size(), seg.max_message_bytes)},
        raw::trim(body));
    return out;
  }
  dom::element root;
  if (const auto error = parser.parse(body, lim.max_depth, root)) {
    d.refuse(parse_problem(error, lim));
    return out;
  }
  const std::string_view text = raw::trim(body);
  dom::object object;
  if (root.get_object().get(object)) {
    d.refuse({reason::not_an_object,
              fmt::format("the body is {}, not an object; {}", json_type_name(root), body_forms)});
    return out;
  }
  if (call == segment_call::batch) {
    d.batch_body(object, text, body.size() > seg.max_message_bytes);
  } else {
    d.single(root, object, text, call);
  }
  return out;
}

std::string segment_type_name(std::string_view event_name) {
  constexpr std::size_t max = 64;
  std::string out;
  bool gap = false;
  for (const char c : event_name) {
    const bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z', digit = c >= '0' && c <= '9';
    if (!(lower || upper || digit)) {
      gap = true;
      continue;
    }
    if (gap && !out.empty()) out.push_back('_');
    gap = false;
    out.push_back(upper ? static_cast<char>(c - 'A' + 'a') : c);
    if (out.size() >= max) break;
  }
  if (out.empty()) return "track";
  if (out[0] < 'a' || out[0] > 'z') out.insert(0, "event_");
  if (out.size() > max) out.resize(max);
  while (out.back() == '_') out.pop_back();
  return out;
}

}  // namespace clicktrail::event
