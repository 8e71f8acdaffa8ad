#include "event/segment_message.h"

#include <fmt/format.h>

#include <limits>
#include <optional>

#include "base/iso8601.h"
#include "base/uuid.h"
#include "event/fields.h"
#include "event/json_text.h"
#include "event/read_event.h"

namespace clicktrail::event {

namespace dom = simdjson::dom;

problem segment_wrong_type(std::string_view key, dom::element value, std::string_view expected) {
  return {reason::invalid_field, fmt::format("{} must be {}, got {}; send {} or leave it out", key, expected,
                                             json_type_name(value), expected)};
}

std::optional<problem> read_segment_time(std::string_view key, dom::element value, opt_i64& out) {
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
    return segment_wrong_type(key, value, "an ISO 8601 string");
  }
  if (ms < 0 || ms > max_unix_ms) {
    return problem{
        reason::invalid_field,
        fmt::format("{} is {} ms since 1970, outside 1970 … 9999; send the client's clock time", key, ms)};
  }
  out = ms;
  return std::nullopt;
}

namespace {

std::string_view type_of(segment_call call) noexcept {
  switch (call) {
    case segment_call::page:
      return "page_view";
    case segment_call::screen:
      return "screen_view";
    case segment_call::identify:
      return "identify";
    case segment_call::group:
      return "group";
    case segment_call::alias:
      return "alias";
    case segment_call::track:  // from its event name
    case segment_call::batch:  // each message names its own
      break;
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
  message_reader(segment_call call, const limits& lim, event& e, foreign_hints& h)
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
      if (value.get_string().get(text)) return segment_wrong_type(key, value, "a string");
      if (text.empty()) return std::nullopt;
      if (base::parse_uuid(text)) {
        e_.event_id.assign(text);
        base::lower_case_uuid_text(e_.event_id);
      } else {
        h_.foreign_id.emplace(text);
        p_.add(p_.segment, 2, key, value);
      }
      return std::nullopt;
    }
    if (key == "anonymousId") return id(key, value, &event::anonymous_id, "anonymous_id");
    if (key == "userId") return id(key, value, &event::user_id, "user_id");
    if (key == "timestamp") return read_segment_time(key, value, timestamp_);
    if (key == "originalTimestamp") {
      original_ = value;
      return read_segment_time(key, value, original_timestamp_);
    }
    if (key == "sentAt") return read_segment_time(key, value, e_.sent_ts);
    if (key == "writeKey") {  // a credential: into the hints, never into props
      if (value.get_string().get(text)) return segment_wrong_type(key, value, "a string");
      h_.source_key.assign(text);
      return std::nullopt;
    }
    if (key == "context") {
      dom::object context;
      if (value.get_object().get(context)) return segment_wrong_type(key, value, "an object");
      return read_context(context);
    }
    if (key == "event" && call_ == segment_call::track) {
      if (value.get_string().get(text)) return segment_wrong_type(key, value, "a string");
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
    if (value.get_string().get(text)) return segment_wrong_type(key, value, "a string");
    if (!text.empty()) put(e_, m, column, text);
    return std::nullopt;
  }

  std::optional<problem> text(std::string_view key, dom::element value, opt_string event::*m,
                              std::string_view column) {
    std::string_view s;
    if (value.get_string().get(s)) return segment_wrong_type(key, value, "a string");
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
  foreign_hints& h_;
  props_builder p_;
  opt_i64 timestamp_, original_timestamp_;
  std::optional<dom::element> original_, lifted_, search_;
  std::string_view lifted_key_;
  std::optional<std::string_view> event_name_;
};

}  // namespace

std::optional<problem> read_segment_message(dom::object message, segment_call call, const limits& lim,
                                            event& e, foreign_hints& h) {
  return message_reader(call, lim, e, h).read(message);
}

}  // namespace clicktrail::event
