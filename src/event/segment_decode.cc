#include "event/segment_decode.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <limits>
#include <optional>

#include "base/iso8601.h"
#include "event/fields.h"
#include "event/json_parser.h"
#include "event/json_text.h"
#include "event/raw_json.h"
#include "event/read_event.h"

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

// The message types a batch member may name, and the event type each becomes (track's comes from
// its event name).
struct call_name {
  std::string_view name;
  segment_call call;
  std::string_view type;
};
constexpr call_name calls[] = {
    {"track", segment_call::track, ""},
    {"page", segment_call::page, "page_view"},
    {"screen", segment_call::screen, "screen_view"},
    {"identify", segment_call::identify, "identify"},
    {"group", segment_call::group, "group"},
    {"alias", segment_call::alias, "alias"},
};

std::string_view type_of(segment_call call) noexcept {
  for (const call_name& c : calls) {
    if (c.call == call) return c.type;
  }
  return {};
}

std::size_t column_limit(std::string_view name) noexcept {
  const field* f = find_field(name);
  return f ? f->max_bytes : 0;
}

// Sets a text column, cut to its limit at a character boundary, as decode_batch does.
void put(event& e, opt_string event::*m, std::string_view column, std::string_view value) {
  const std::size_t max = column_limit(column);
  if (value.size() > max) {
    value = cut_utf8(value, max);
    e.truncated = true;
  }
  (e.*m).emplace(value);
}

problem wrong_type(std::string_view key, dom::element value, std::string_view expected) {
  return {reason::invalid_field, fmt::format("{} must be {}, got {}; send {} or leave it out", key, expected,
                                             json_type_name(value), expected)};
}

// A Segment time: ISO 8601 text with a zone (what Date.toISOString() writes) or ms since 1970.
std::optional<problem> read_time(std::string_view key, dom::element value, opt_i64& out) {
  std::int64_t ms = 0;
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    const auto parsed = base::parse_iso8601_ms(text);
    if (!parsed) {
      return problem{reason::invalid_field,
                     fmt::format("{} \"{}\" is not an ISO 8601 time with a zone; send e.g. "
                                 "2024-05-01T12:00:00.000Z, or ms since 1970",
                                 key, shown(text))};
    }
    ms = *parsed;
  } else if (value.get_int64().get(ms) != simdjson::SUCCESS) {
    return wrong_type(key, value, "an ISO 8601 string");
  }
  if (ms < 0 || ms > max_unix_ms) {
    return problem{
        reason::invalid_field,
        fmt::format("{} is {} ms since 1970, outside 1970 … 9999; send the client's clock time", key, ms)};
  }
  out = ms;
  return std::nullopt;
}

// props as it is built: the lifted properties/traits members, then "segment": {…} with the
// message's other members, its context's leftovers and, nested in those, context.page's,
// .campaign's and .screen's. Each part is the text of an object's members without braces.
struct props_builder {
  explicit props_builder(std::size_t depth) : max_depth(depth) {}

  std::size_t max_depth;  // limits::max_props_depth: props itself is depth 1
  bool too_deep = false;
  std::string top, segment, context, page, campaign, screen;

  // `level`: the depth of the object the member goes into (props 1, segment 2, context 3, …).
  void add(std::string& to, std::size_t level, std::string_view key, dom::element value) {
    if (level > max_depth) {
      too_deep = true;
      return;
    }
    open(to, key);
    if (!write_compact(to, value, max_depth - level)) too_deep = true;
  }
  void add_text(std::string& to, std::string_view key, std::string_view value) {
    open(to, key);
    write_string(to, value);
  }
  static void open(std::string& to, std::string_view key) {
    if (!to.empty()) to.push_back(',');
    write_string(to, key);
    to.push_back(':');
  }
  // Appends "key":{members} to `to` when `members` is not empty.
  void nest(std::string& to, std::size_t level, std::string_view key, const std::string& members) {
    if (members.empty()) return;
    if (level > max_depth) {
      too_deep = true;
      return;
    }
    open(to, key);
    to.push_back('{');
    to.append(members);
    to.push_back('}');
  }

  std::string finish() {
    nest(context, 4, "page", page);
    nest(context, 4, "campaign", campaign);
    nest(context, 4, "screen", screen);
    nest(segment, 3, "context", context);
    std::string members = std::move(top);
    nest(members, 2, "segment", segment);
    std::string out;
    out.reserve(members.size() + 2);
    out.push_back('{');
    out.append(members);
    out.push_back('}');
    return out;
  }
};

// Reads one message into an event and its hints. The reader lives for one message.
class message_reader {
 public:
  message_reader(segment_call call, const limits& lim, event& e, segment_hints& h)
      : call_(call), lim_(lim), e_(e), h_(h), p_(lim.max_props_depth) {}

  std::optional<problem> read(dom::object message) {
    for (const dom::key_value_pair member : message) {
      if (member.value.is_null()) continue;  // null stands for absent, as in our own events
      if (auto why = read_member(member.key, member.value)) return why;
    }
    return finish();
  }

 private:
  std::optional<problem> read_member(std::string_view key, dom::element value) {
    std::string_view text;
    if (key == "type" || key == "receivedAt") return std::nullopt;  // the route's / Segment's own
    if (key == "messageId") {
      if (value.get_string().get(text)) return wrong_type(key, value, "a string");
      if (text.empty()) return std::nullopt;
      if (base::parse_uuid(text)) {
        e_.event_id.assign(text);
        for (char& c : e_.event_id) c = (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
      } else {
        h_.message_id.emplace(text);
        p_.add(p_.segment, 2, key, value);
      }
      return std::nullopt;
    }
    if (key == "anonymousId") return id(key, value, &event::anonymous_id, "anonymous_id");
    if (key == "userId") return id(key, value, &event::user_id, "user_id");
    if (key == "timestamp") return read_time(key, value, timestamp_);
    if (key == "originalTimestamp") {
      original_ = value;
      return read_time(key, value, original_timestamp_);
    }
    if (key == "sentAt") return read_time(key, value, e_.sent_ts);
    if (key == "writeKey") {  // a credential: into the hints, never into props
      if (value.get_string().get(text)) return wrong_type(key, value, "a string");
      h_.write_key.assign(text);
      return std::nullopt;
    }
    if (key == "context") {
      dom::object context;
      if (value.get_object().get(context)) return wrong_type(key, value, "an object");
      return read_context(context);
    }
    if (key == "event" && call_ == segment_call::track) {
      if (value.get_string().get(text)) return wrong_type(key, value, "a string");
      event_name_ = text;
      p_.add(p_.segment, 2, key, value);
      return std::nullopt;
    }
    const bool has_properties =
        call_ == segment_call::track || call_ == segment_call::page || call_ == segment_call::screen;
    const bool has_traits = call_ == segment_call::identify || call_ == segment_call::group;
    if ((key == "properties" && has_properties) || (key == "traits" && has_traits)) {
      lifted_ = value;
      lifted_key_ = key;
      return std::nullopt;
    }
    p_.add(p_.segment, 2, key, value);  // event, name, category, groupId, previousId, _metadata, …
    return std::nullopt;
  }

  std::optional<problem> id(std::string_view key, dom::element value, opt_string event::*m,
                            std::string_view column) {
    std::string_view text;
    if (value.get_string().get(text)) return wrong_type(key, value, "a string");
    if (!text.empty()) put(e_, m, column, text);
    return std::nullopt;
  }

  std::optional<problem> text(std::string_view key, dom::element value, opt_string event::*m,
                              std::string_view column) {
    std::string_view s;
    if (value.get_string().get(s)) return wrong_type(key, value, "a string");
    put(e_, m, column, s);
    return std::nullopt;
  }

  std::optional<problem> read_context(dom::object context) {
    for (const dom::key_value_pair member : context) {
      const std::string_view key = member.key;
      const dom::element value = member.value;
      if (value.is_null()) continue;
      dom::object inner;
      std::optional<problem> why;
      if (key == "page" && value.get_object().get(inner) == simdjson::SUCCESS) {
        why = read_page(inner);
      } else if (key == "campaign" && value.get_object().get(inner) == simdjson::SUCCESS) {
        why = read_campaign(inner);
      } else if (key == "screen" && value.get_object().get(inner) == simdjson::SUCCESS) {
        why = read_screen(inner);
      } else if (key == "userAgent" && value.is_string()) {
        h_.user_agent.emplace(value.get_string().value_unsafe());
      } else if (key == "ip" && value.is_string()) {
        h_.ip.emplace(value.get_string().value_unsafe());
      } else if (key == "locale") {
        why = text("context.locale", value, &event::locale, "locale");
      } else if (key == "timezone") {
        why = text("context.timezone", value, &event::timezone, "timezone");
      } else {
        p_.add(p_.context, 3, key, value);  // library, userAgentData, device, os, traits, …
      }
      if (why) return why;
    }
    return std::nullopt;
  }

  std::optional<problem> read_page(dom::object page) {
    for (const dom::key_value_pair member : page) {
      const std::string_view key = member.key;
      const dom::element value = member.value;
      if (value.is_null()) continue;
      std::optional<problem> why;
      if (key == "url") {
        why = text("context.page.url", value, &event::page_url, "page_url");
      } else if (key == "path") {
        why = text("context.page.path", value, &event::page_path, "page_path");
      } else if (key == "title") {
        why = text("context.page.title", value, &event::page_title, "page_title");
      } else if (key == "referrer") {
        why = text("context.page.referrer", value, &event::referrer, "referrer");
      } else if (key == "search" && value.is_string()) {
        search_ = value;  // in page_url already; kept only when there is no url
      } else {
        p_.add(p_.page, 4, key, value);
      }
      if (why) return why;
    }
    return std::nullopt;
  }

  std::optional<problem> read_campaign(dom::object campaign) {
    for (const dom::key_value_pair member : campaign) {
      const std::string_view key = member.key;
      const dom::element value = member.value;
      if (value.is_null()) continue;
      std::optional<problem> why;
      if (key == "source") {
        why = text("context.campaign.source", value, &event::utm_source, "utm_source");
      } else if (key == "medium") {
        why = text("context.campaign.medium", value, &event::utm_medium, "utm_medium");
      } else if (key == "name") {
        why = text("context.campaign.name", value, &event::utm_campaign, "utm_campaign");
      } else if (key == "term") {
        why = text("context.campaign.term", value, &event::utm_term, "utm_term");
      } else if (key == "content") {
        why = text("context.campaign.content", value, &event::utm_content, "utm_content");
      } else {
        p_.add(p_.campaign, 4, key, value);
      }
      if (why) return why;
    }
    return std::nullopt;
  }

  std::optional<problem> read_screen(dom::object screen) {
    for (const dom::key_value_pair member : screen) {
      const std::string_view key = member.key;
      const dom::element value = member.value;
      if (value.is_null()) continue;
      opt_i32 event::*m = key == "width" ? &event::screen_w : key == "height" ? &event::screen_h : nullptr;
      if (!m) {
        p_.add(p_.screen, 4, key, value);  // density, …
        continue;
      }
      std::int64_t px = 0;
      if (value.get_int64().get(px) || px < 0 || px > std::numeric_limits<std::int32_t>::max()) {
        return problem{reason::invalid_field,
                       fmt::format("context.screen.{} must be a whole number of pixels from 0 to {}; send "
                                   "the screen's size or leave it out",
                                   key, std::numeric_limits<std::int32_t>::max())};
      }
      e_.*m = static_cast<std::int32_t>(px);
    }
    return std::nullopt;
  }

  // properties (track, page, screen) or traits (identify, group): members lifted to props' top
  // level unless that is impossible (not an object, or a member named "segment").
  void lift() {
    if (!lifted_) return;
    dom::object object;
    if (lifted_->get_object().get(object) || object.at_key("segment").error() == simdjson::SUCCESS) {
      p_.add(p_.segment, 2, lifted_key_, *lifted_);
      return;
    }
    for (const dom::key_value_pair member : object) {
      if (call_ == segment_call::page && page_column(member.key, member.value)) continue;
      p_.add(p_.top, 1, member.key, member.value);
    }
  }

  // A page call's properties.url/path/title/referrer/search: analytics.js sends the page twice
  // (context.page and properties); server libraries only in properties. Fills a column that
  // context.page left empty; true when the member is then not needed in props.
  bool page_column(std::string_view key, dom::element value) {
    std::string_view s;
    if (value.get_string().get(s)) return false;
    opt_string event::*m = key == "url"        ? &event::page_url
                           : key == "path"     ? &event::page_path
                           : key == "title"    ? &event::page_title
                           : key == "referrer" ? &event::referrer
                                               : nullptr;
    if (!m) {
      std::string_view search;
      return key == "search" && search_ && search_->get_string().get(search) == simdjson::SUCCESS &&
             search == s;
    }
    if (!(e_.*m)) {
      const std::string_view column = key == "url"     ? "page_url"
                                      : key == "path"  ? "page_path"
                                      : key == "title" ? "page_title"
                                                       : "referrer";
      put(e_, m, column, s);
      return true;
    }
    return *(e_.*m) == s;
  }

  std::optional<problem> finish() {
    if (call_ == segment_call::track) {
      if (!event_name_) {
        return problem{reason::missing_field,
                       "a track message needs event, the name of what happened (e.g. \"Order Completed\")"};
      }
      e_.type = segment_type_name(*event_name_);
    } else {
      e_.type.assign(type_of(call_));
    }
    if (!e_.user_id && !e_.anonymous_id) {
      return problem{reason::missing_field,
                     "a message needs userId or anonymousId (Segment's no_user_anon_id); send at least one"};
    }
    if (timestamp_) {
      e_.client_ts = timestamp_;
      if (original_) p_.add(p_.segment, 2, "originalTimestamp", *original_);
    } else {
      e_.client_ts = original_timestamp_;
    }
    lift();
    if (search_ && !e_.page_url) p_.add(p_.page, 4, "search", *search_);
    std::string props = p_.finish();
    if (p_.too_deep) {
      return problem{reason::props_invalid,
                     fmt::format("properties, traits and the rest of the message nest deeper than {} levels "
                                 "in props; flatten them",
                                 lim_.max_props_depth)};
    }
    if (props.size() > lim_.max_props_bytes) {
      return problem{
          reason::props_invalid,
          fmt::format("props (properties or traits, and the message's other fields) is {} bytes as "
                      "compact JSON, over the limit of {}; send fewer or shorter properties",
                      props.size(), lim_.max_props_bytes)};
    }
    if (props.size() > 2) e_.props = std::move(props);
    return std::nullopt;
  }

  segment_call call_;
  const limits& lim_;
  event& e_;
  segment_hints& h_;
  props_builder p_;
  opt_i64 timestamp_, original_timestamp_;
  std::optional<dom::element> original_, lifted_, search_;
  std::string_view lifted_key_;
  std::optional<std::string_view> event_name_;
};

struct decoder {
  const limits& lim;
  const segment_limits& seg;
  segment_batch& out;

  void refuse(problem why) {
    out = segment_batch{};
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
    segment_hints& h = out.hints.emplace_back();
    if (auto why = message_reader(*call, lim, e, h).read(message)) {
      out.base.events.pop_back();
      out.hints.pop_back();
      return reject(index, std::move(*why), raw_text());
    }
    if (!e.sent_ts) e.sent_ts = batch_sent_ts;
    if (h.write_key.empty()) h.write_key = out.write_key;
  }

  void single(dom::element root, dom::object message, std::string_view text, segment_call call) {
    std::string_view key;
    if (message.at_key("writeKey").get_string().get(key) == simdjson::SUCCESS) out.write_key.assign(key);
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
          return refuse(wrong_type("writeKey", member.value, "a string"));
        }
        out.write_key.assign(write_key);
      } else if (key == "sentAt" && !member.value.is_null()) {
        if (auto why = read_time("sentAt", member.value, sent_ts)) return refuse(std::move(*why));
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
    if (out.write_key.empty()) {  // the first message's, as docs/compat-segment.md says
      std::string_view write_key;
      if (messages.at(0).at_key("writeKey").get_string().get(write_key) == simdjson::SUCCESS)
        out.write_key.assign(write_key);
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

const base::uuid& segment_namespace() noexcept {
  static const base::uuid ns = *base::parse_uuid("ca0ce16b-88b8-543c-a35d-0ea05e9eebec");
  return ns;
}

segment_batch decode_segment(std::string_view body, segment_call call, const limits& lim,
                             const segment_limits& seg) {
  thread_local json_parser parser;
  segment_batch out;
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

void derive_segment_event_ids(segment_batch& b, std::string_view site) {
  std::string name;
  for (std::size_t i = 0; i < b.base.events.size() && i < b.hints.size(); ++i) {
    const opt_string& id = b.hints[i].message_id;
    if (!id) continue;
    name.assign(site);
    name.push_back('\n');
    name.append(*id);
    b.base.events[i].event_id = base::make_uuid_v5(segment_namespace(), name).to_string();
  }
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
