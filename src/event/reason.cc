#include "event/reason.h"

#include <array>

namespace clicktrail::event {
namespace {

// In enum order, so that to_string() is an index.
constexpr std::array<reason_info, 14> reasons{{
    {reason::invalid_json, "invalid_json", true, "the body is not JSON"},
    {reason::invalid_utf8, "invalid_utf8", true, "the body is not valid UTF-8"},
    {reason::too_deep, "too_deep", true, "the body nests deeper than the depth limit (16)"},
    {reason::too_many_events, "too_many_events", true, "more events than the batch limit (500)"},
    {reason::no_events, "no_events", true, "an empty array or envelope"},
    {reason::not_an_object, "not_an_object", false,
     "an array element (or the whole body) is not an event object"},
    {reason::event_too_large, "event_too_large", false,
     "the event's JSON text, as sent, is over the event limit (32 KiB)"},
    {reason::missing_field, "missing_field", false, "`type` is absent or null"},
    {reason::invalid_field, "invalid_field", false,
     "a value of the wrong JSON type or out of range, a key given twice, a too long `site`, or "
     "a malformed envelope"},
    {reason::unknown_field, "unknown_field", false,
     "a key the schema does not have, or one only the collector sets; in an envelope, any key but "
     "`sent_ts`, `site` and `events` refuses the body"},
    {reason::invalid_type, "invalid_type", false, "`type` is neither a known type nor a valid custom name"},
    {reason::invalid_event_id, "invalid_event_id", false, "`event_id` is present but not a UUID"},
    {reason::props_invalid, "props_invalid", false,
     "`props` is not an object, or over its size (16 KiB) or depth (8) limit"},
    {reason::site_mismatch, "site_mismatch", false,
     "Snowplow and Segment: the event's app id or write key names another site than its request's"},
}};

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < reasons.size(); ++i) {
    if (static_cast<std::size_t>(reasons[i].code) != i) return false;
  }
  return true;
}
static_assert(in_enum_order());

}  // namespace

std::span<const reason_info> all_reasons() noexcept {
  return reasons;
}

const char* to_string(reason r) noexcept {
  const auto i = static_cast<std::size_t>(r);
  return i < reasons.size() ? reasons[i].name.data() : "unknown_reason";
}

}  // namespace clicktrail::event
