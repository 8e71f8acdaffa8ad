#pragma once
// The schema-v1 event: one flat record per page view, click or custom event (flat columns query
// well in every engine). See docs/event-schema.md for each field's source and limit.
//
// Optional fields are std::optional so that "absent" (null in Parquet) and "empty" stay
// distinct. The tracker fills most fields; the collector fills site, collector_ts, event_ts,
// ip, ua and (when absent) event_id; enrichment (src/enrich/) fills utm_*, referrer_*, click_id_kind,
// ua_*, is_bot, bot_name and geo_*.

#include <cstdint>
#include <optional>
#include <string>

namespace clicktrail::event {

inline constexpr std::int32_t schema_version = 1;

using opt_string = std::optional<std::string>;
using opt_i32 = std::optional<std::int32_t>;
using opt_i64 = std::optional<std::int64_t>;

// Whether a member's type is one of the optional ones (a field an event may lack).
template <class T>
constexpr bool is_optional_member = false;
template <class T>
constexpr bool is_optional_member<std::optional<T>> = true;

struct event {
  std::string event_id;  // UUID text; the collector assigns a UUIDv7 when the tracker sent none
  std::string type;      // page_view, click, …, or a custom name [a-z][a-z0-9_.:-]{0,63}
  std::string site;      // the site key the event came in under

  opt_i64 client_ts;              // ms, client clock: when it happened
  opt_i64 sent_ts;                // ms, client clock: when its batch was sent
  std::int64_t collector_ts = 0;  // ms, collector clock: when it arrived
  std::int64_t event_ts = 0;      // ms: collector_ts corrected by the client's clock skew

  opt_string anonymous_id, user_id, session_id;
  opt_string network_id;  // the collector's first-party cookie id (Snowplow's network_userid)
  opt_string page_url, page_path, page_title, referrer;
  opt_string utm_source, utm_medium, utm_campaign, utm_term, utm_content;
  opt_string target_tag, target_id, target_classes, target_text, target_href, target_selector;
  opt_i32 x, y, scroll_depth, engaged_ms;
  opt_i32 viewport_w, viewport_h, screen_w, screen_h;
  opt_string locale, timezone;
  opt_string ua;
  opt_string ip;
  opt_string geo_country, geo_region, geo_city;
  opt_i64 geo_asn;
  opt_string geo_asn_org;
  opt_string props;        // a JSON object as compact text
  bool truncated = false;  // some string was cut to its column limit
  std::int32_t version = schema_version;
  // Set by the sink (src/enrich/sink_enricher.h), last so that the sink can append them to the
  // record it read instead of encoding the event again (event::encode_tail).
  opt_string ua_browser, ua_browser_version, ua_os, ua_os_version, ua_device, ua_device_brand,
      ua_device_model;
  std::optional<bool> is_bot;
  opt_string bot_name;
  opt_string referrer_medium, referrer_source, referrer_term, click_id_kind;

  friend bool operator==(const event&, const event&) = default;
};

}  // namespace clicktrail::event
