#include "event/read_event.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <variant>

#include "base/uuid.h"
#include "event/json_text.h"

namespace clicktrail::event {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view type_rule =
    "one of page_view, click, scroll, engagement, form_submit, error, identify, or a custom name "
    "matching [a-z][a-z0-9_.:-]{0,63}";

}  // namespace

const char* json_type_name(dom::element value) noexcept {
  switch (value.type()) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::OBJECT:
      return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      return "a number";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::BOOL:
      return "a boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
  }
  return "an unknown JSON value";
}

namespace {

problem wrong_type(const field& f, dom::element value, std::string_view expected) {
  return {reason::invalid_field, fmt::format("{} must be {}, got {}; send {} or leave it out", f.name,
                                             expected, json_type_name(value), expected)};
}

problem out_of_range(const field& f, std::string_view got) {
  if (f.max == max_unix_ms) {
    return {
        reason::invalid_field,
        fmt::format("{} must be whole milliseconds since 1970 from 0 to {} (the end of year 9999), got {}; "
                    "send a Date.now() value",
                    f.name, max_unix_ms, got)};
  }
  if (f.min == f.max) {
    return {reason::invalid_field,
            fmt::format("{} must be {}, got {}; this build reads schema version {} only", f.name, f.min, got,
                        schema_version)};
  }
  return {reason::invalid_field,
          fmt::format("{} must be a whole number from {} to {}, got {}; round it or leave it out", f.name,
                      f.min, f.max, got)};
}

// The plain type behind a member: int32_t for opt_i32 and int32_t alike.
template <class T>
struct value_type {
  using type = T;
};
template <class T>
struct value_type<std::optional<T>> {
  using type = T;
};

// Reads one value into the member `f` names; std::visit picks the overload by member type.
struct field_reader {
  const field& f;
  dom::element value;
  origin from;
  const limits& lim;
  event& e;

  std::optional<problem> operator()(std::string event::*m) const { return text(e.*m); }
  std::optional<problem> operator()(opt_string event::*m) const {
    std::string& target = (e.*m).emplace();
    return f.check == rule::json_object ? props(target) : text(target);
  }
  std::optional<problem> operator()(opt_i64 event::*m) const { return integer(e.*m); }
  std::optional<problem> operator()(std::int64_t event::*m) const { return integer(e.*m); }
  std::optional<problem> operator()(opt_i32 event::*m) const { return integer(e.*m); }
  std::optional<problem> operator()(std::int32_t event::*m) const { return integer(e.*m); }
  std::optional<problem> operator()(std::optional<bool> event::*m) const { return boolean(e.*m); }
  std::optional<problem> operator()(bool event::*m) const { return boolean(e.*m); }

  std::optional<problem> text(std::string& target) const {
    std::string_view s;
    if (value.get_string().get(s)) return wrong_type(f, value, "a string");
    switch (f.check) {
      case rule::uuid:
        if (!base::parse_uuid(s)) {
          return problem{
              reason::invalid_event_id,
              fmt::format("event_id \"{}\" is not a UUID; send the 36-character 8-4-4-4-12 hex form, "
                          "or leave event_id out and the collector assigns one",
                          shown(s))};
        }
        target.assign(s);
        // One id, one spelling: deduplication compares text.
        if (from == origin::tracker) base::lower_case_uuid_text(target);
        return std::nullopt;
      case rule::event_type:
        if (!is_event_type(s)) {
          return problem{reason::invalid_type, fmt::format("type \"{}\" is not {}", shown(s), type_rule)};
        }
        break;
      case rule::key:
        if (from == origin::tracker && s.size() > f.max_bytes) {
          return problem{reason::invalid_field,
                         fmt::format("{} is {} bytes, over the limit of {}; send the site key from the "
                                     "collector's configuration",
                                     f.name, s.size(), f.max_bytes)};
        }
        break;
      case rule::none:
        if (from == origin::tracker && s.size() > f.max_bytes) {
          s = cut_utf8(s, f.max_bytes);
          e.truncated = true;
        }
        break;
      case rule::json_object:  // read by props()
      case rule::unix_ms:      // an integer, never text
        break;
    }
    target.assign(s);
    return std::nullopt;
  }

  std::optional<problem> props(std::string& target) const {
    if (!value.is_object()) {
      return problem{reason::props_invalid,
                     fmt::format("props must be a JSON object, got {}; send custom properties as "
                                 "{{\"name\": value, …}}",
                                 json_type_name(value))};
    }
    const bool limited = from == origin::tracker;
    const std::size_t max_depth = limited ? lim.max_props_depth : std::numeric_limits<std::size_t>::max();
    if (!write_compact(target, value, max_depth)) {
      return problem{
          reason::props_invalid,
          fmt::format("props nests deeper than {} levels of objects and arrays; flatten it", max_depth)};
    }
    if (limited && target.size() > lim.max_props_bytes) {
      return problem{
          reason::props_invalid,
          fmt::format("props is {} bytes as compact JSON, over the limit of {}; send fewer or shorter "
                      "properties",
                      target.size(), lim.max_props_bytes)};
    }
    return std::nullopt;
  }

  template <class Int>
  std::optional<problem> integer(Int& target) const {
    std::int64_t v = 0;
    switch (value.type()) {
      case dom::element_type::INT64:
        v = value.get_int64().value_unsafe();
        break;
      case dom::element_type::UINT64:  // simdjson uses it only past INT64_MAX
        return out_of_range(f, fmt::format("{}", value.get_uint64().value_unsafe()));
      case dom::element_type::DOUBLE: {
        // JSON has one number type; 1700000000000.0 is a whole number, 12.5 is not.
        const double d = value.get_double().value_unsafe();
        if (!(d >= -0x1p63 && d < 0x1p63) || std::trunc(d) != d) return out_of_range(f, fmt::format("{}", d));
        v = static_cast<std::int64_t>(d);
        break;
      }
      default:
        return wrong_type(f, value, "an integer");
    }
    if (v < f.min || v > f.max) return out_of_range(f, fmt::format("{}", v));
    target = static_cast<typename value_type<Int>::type>(v);
    return std::nullopt;
  }

  template <class Bool>
  std::optional<problem> boolean(Bool& target) const {
    bool b = false;
    if (value.get_bool().get(b)) return wrong_type(f, value, "true or false");
    target = b;
    return std::nullopt;
  }
};

// Members that encode() always writes, so a stored record must have them.
bool always_written(const field& f) noexcept {
  return (always_written_fields() >> field_index(f)) & 1;
}

problem not_from_tracker(const field& f) {
  const char* who = f.by == setter::enrichment ? "the collector's enrichment" : "the collector";
  return {reason::unknown_field, fmt::format("{} is set by {}, not the tracker; leave it out", f.name, who)};
}

}  // namespace

bool is_event_type(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64 || s[0] < 'a' || s[0] > 'z') return false;
  for (const char c : s.substr(1)) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string shown(std::string_view value) {
  const std::string_view cut = cut_utf8(value, 64);
  return cut.size() < value.size() ? fmt::format("{}…", cut) : std::string(cut);
}

std::optional<problem> read_field(const field& f, dom::element value, origin from, const limits& lim,
                                  event& out) {
  return std::visit(field_reader{f, value, from, lim, out}, f.where);
}

std::optional<problem> read_event(dom::object object, origin from, const limits& lim, event& out,
                                  std::uint64_t* named) {
  std::uint64_t seen = 0;
  for (const dom::key_value_pair member : object) {
    const field* f = find_field(member.key);
    if (!f) {
      return problem{
          reason::unknown_field,
          fmt::format("unknown field \"{}\"; the schema's fields are listed in docs/event-schema.md",
                      shown(member.key))};
    }
    if (from == origin::tracker && !f->from_tracker) return not_from_tracker(*f);
    const std::uint64_t bit = 1ULL << field_index(*f);
    if (seen & bit) {
      return problem{reason::invalid_field, fmt::format("{} appears twice; send each field once", f->name)};
    }
    seen |= bit;
    // null means absent, except where a stored record must have a value.
    if (member.value.is_null() && !(from == origin::stored && always_written(*f))) continue;
    if (auto p = read_field(*f, member.value, from, lim, out)) return p;
  }
  if (named) *named = seen;
  if (from == origin::tracker) {
    if (out.type.empty())
      return problem{reason::missing_field, fmt::format("type is required; send {}", type_rule)};
    return std::nullopt;
  }
  if (const std::uint64_t missing = always_written_fields() & ~seen) {
    const field& f = all_fields()[static_cast<std::size_t>(std::countr_zero(missing))];
    return problem{reason::missing_field, fmt::format("{} is missing; encode() always writes it", f.name)};
  }
  return std::nullopt;
}

}  // namespace clicktrail::event
