#pragma once
// The field table itself, as a constant the compiler sees: fields.h's all_fields() hands it out
// at run time, and the loops over every field that run per event unroll over it at compile time
// (encode, encode_binary, the binary reader's reset, cut_to_column_limits): each member read or
// written without a lookup or a dispatch. Include fields.h to use the schema; this file only
// where the table must be known while compiling.

#include <array>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>

#include "event/fields.h"

namespace clicktrail::event::detail {

constexpr std::int64_t i32_min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t i32_max = std::numeric_limits<std::int32_t>::max();

// Row builders for the common shapes, so that each row reads as name, limit, note.
constexpr field text(std::string_view name, opt_string event::*m, std::size_t max_bytes,
                     setter by = setter::tracker, std::string_view note = {}) {
  return {name, m, by, by == setter::tracker, rule::none, max_bytes, 0, 0, note};
}
constexpr field int32(std::string_view name, opt_i32 event::*m, std::int64_t min, std::int64_t max,
                      std::string_view note) {
  return {name, m, setter::tracker, true, rule::none, 0, min, max, note};
}
constexpr field client_ms(std::string_view name, opt_i64 event::*m, std::string_view note) {
  return {name, m, setter::tracker, true, rule::unix_ms, 0, 0, max_unix_ms, note};
}
constexpr field collector_ms(std::string_view name, std::int64_t event::*m, std::string_view note) {
  return {name, m, setter::collector, false, rule::unix_ms, 0, 0, max_unix_ms, note};
}

constexpr auto enrich = setter::enrichment;

constexpr std::array rows{
    field{"event_id", &event::event_id, setter::tracker, true, rule::uuid, 128, 0, 0,
          "the key for deduplication; the collector assigns a UUIDv7 when absent; kept lower case"},
    field{"type", &event::type, setter::tracker, true, rule::event_type, 64, 0, 0,
          "required; `page_view`, `click`, `scroll`, `engagement`, `form_submit`, `error`, "
          "`identify`, or a custom name `[a-z][a-z0-9_.:-]{0,63}`"},
    field{"site", &event::site, setter::collector, true, rule::key, 256, 0, 0,
          "the site key the event came in under; a body may name it, the collector checks it; "
          "too long is refused, not cut"},
    client_ms("client_ts", &event::client_ts, "ms since 1970, client clock: when it happened"),
    client_ms("sent_ts", &event::sent_ts,
              "ms since 1970, client clock: when its batch was sent; the envelope's when absent"),
    collector_ms("collector_ts", &event::collector_ts, "ms since 1970, collector clock: when it arrived"),
    collector_ms("event_ts", &event::event_ts,
                 "`collector_ts - (sent_ts - client_ts)`, clamped: corrects client clock skew"),
    text("anonymous_id", &event::anonymous_id, 128, setter::tracker, "per browser; the Kafka record key"),
    text("user_id", &event::user_id, 128, setter::tracker, "set after `identify`"),
    text("session_id", &event::session_id, 128, setter::tracker, "new after 30 min of inactivity"),
    text("network_id", &event::network_id, 128, setter::collector,
         "the collector's first-party cookie id (Snowplow's network_userid, `sp`), when a cookie is set"),
    text("page_url", &event::page_url, 8 * kib),
    text("page_path", &event::page_path, 256),
    text("page_title", &event::page_title, 1 * kib),
    text("referrer", &event::referrer, 8 * kib),
    text("utm_source", &event::utm_source, 256, enrich, "parsed from page_url"),
    text("utm_medium", &event::utm_medium, 256, enrich, "parsed from page_url"),
    text("utm_campaign", &event::utm_campaign, 256, enrich, "parsed from page_url"),
    text("utm_term", &event::utm_term, 256, enrich, "parsed from page_url"),
    text("utm_content", &event::utm_content, 256, enrich, "parsed from page_url"),
    text("target_tag", &event::target_tag, 256, setter::tracker, "clicks: the element's tag name"),
    text("target_id", &event::target_id, 256),
    text("target_classes", &event::target_classes, 1 * kib),
    text("target_text", &event::target_text, 1 * kib),
    text("target_href", &event::target_href, 8 * kib),
    text("target_selector", &event::target_selector, 1 * kib),
    int32("x", &event::x, i32_min, i32_max, "clicks: page coordinates, CSS px"),
    int32("y", &event::y, i32_min, i32_max, "clicks: page coordinates, CSS px"),
    int32("scroll_depth", &event::scroll_depth, 0, 100, "percent of the page scrolled"),
    int32("engaged_ms", &event::engaged_ms, 0, i32_max, "time the page was visible and focused"),
    int32("viewport_w", &event::viewport_w, 0, i32_max, "CSS px"),
    int32("viewport_h", &event::viewport_h, 0, i32_max, "CSS px"),
    int32("screen_w", &event::screen_w, 0, i32_max, "CSS px"),
    int32("screen_h", &event::screen_h, 0, i32_max, "CSS px"),
    text("locale", &event::locale, 256, setter::tracker, "e.g. `en-GB`"),
    text("timezone", &event::timezone, 256, setter::tracker, "IANA name, e.g. `Europe/Paris`"),
    text("ua", &event::ua, 1 * kib, setter::collector, "the User-Agent header"),
    text("ip", &event::ip, 256, setter::collector, "anonymized by default (IPv4 /24, IPv6 /48)"),
    text("geo_country", &event::geo_country, 256, enrich,
         "ISO 3166-1 alpha-2, from the full address before it is anonymised"),
    text("geo_region", &event::geo_region, 256, enrich,
         "the first subdivision's English name (`England`, `California`)"),
    text("geo_city", &event::geo_city, 256, enrich, "the English name"),
    field{"geo_asn", &event::geo_asn, enrich, false, rule::none, 0, 0, 4'294'967'295,
          "the network's autonomous system number, when an ASN database is configured"},
    text("geo_asn_org", &event::geo_asn_org, 256, enrich, "the autonomous system's organisation"),
    // The byte and depth limits of props come from `limits`; 16 KiB is their default.
    field{"props", &event::props, setter::tracker, true, rule::json_object, 16 * kib, 0, 0,
          "custom properties: a JSON object, kept as compact JSON text; depth at most 8 by default"},
    field{"truncated", &event::truncated, setter::collector, false, rule::none, 0, 0, 0,
          "some string was cut to its column limit; written only when true"},
    field{"schema_version", &event::version, setter::collector, false, rule::none, 0, 1, 1, "always 1"},
    // The sink's enrichment, last (event.h says why).
    text("ua_browser", &event::ua_browser, 256, enrich,
         "the browser's family, by uap-core's rules (`Chrome`, `Other`)"),
    text("ua_browser_version", &event::ua_browser_version, 256, enrich,
         "major.minor.patch, as far as ua says"),
    text("ua_os", &event::ua_os, 256, enrich, "the operating system's family (`Windows`, `iOS`)"),
    text("ua_os_version", &event::ua_os_version, 256, enrich, "major.minor.patch, as far as ua says"),
    text("ua_device", &event::ua_device, 256, enrich, "the device's family (`iPhone`, `Spider`, `Other`)"),
    text("ua_device_brand", &event::ua_device_brand, 256, enrich, "e.g. `Apple`, `Samsung`"),
    text("ua_device_model", &event::ua_device_model, 256, enrich, "e.g. `iPhone`, `SM-G991B`"),
    field{"is_bot", &event::is_bot, enrich, false, rule::none, 0, 0, 0,
          "a crawler, a spider or a headless browser, by ua"},
    text("bot_name", &event::bot_name, 256, enrich, "which bot, when is_bot"),
    text("referrer_medium", &event::referrer_medium, 32, enrich,
         "`search`, `social`, `email`, `paid`, `internal` or `unknown`; null for direct visits "
         "(docs/enrichment.md)"),
    text("referrer_source", &event::referrer_source, 256, enrich,
         "the search engine, network or mail service by name (`Google`), else the referrer's host"),
    text("referrer_term", &event::referrer_term, 1 * kib, enrich,
         "the search words, when the referrer carries them"),
    text("click_id_kind", &event::click_id_kind, 32, enrich,
         "which ad click id page_url carries (`gclid`, `fbclid`, `msclkid`, …)"),
};
// Each column's id: Iceberg's field id, and the Parquet field_id of its column. An id is given
// once and never changed or reused (readers match columns by it across schema changes): a new
// field takes the next unused number, wherever its row stands in the table above.
constexpr std::array<std::pair<std::string_view, std::int32_t>, rows.size()> column_ids{{
    {"event_id", 1},
    {"type", 2},
    {"site", 3},
    {"client_ts", 4},
    {"sent_ts", 5},
    {"collector_ts", 6},
    {"event_ts", 7},
    {"anonymous_id", 8},
    {"user_id", 9},
    {"session_id", 10},
    {"network_id", 11},
    {"page_url", 12},
    {"page_path", 13},
    {"page_title", 14},
    {"referrer", 15},
    {"utm_source", 16},
    {"utm_medium", 17},
    {"utm_campaign", 18},
    {"utm_term", 19},
    {"utm_content", 20},
    {"target_tag", 21},
    {"target_id", 22},
    {"target_classes", 23},
    {"target_text", 24},
    {"target_href", 25},
    {"target_selector", 26},
    {"x", 27},
    {"y", 28},
    {"scroll_depth", 29},
    {"engaged_ms", 30},
    {"viewport_w", 31},
    {"viewport_h", 32},
    {"screen_w", 33},
    {"screen_h", 34},
    {"locale", 35},
    {"timezone", 36},
    {"ua", 37},
    {"ip", 38},
    {"geo_country", 39},
    {"geo_region", 40},
    {"geo_city", 41},
    {"geo_asn", 42},
    {"geo_asn_org", 43},
    {"props", 44},
    {"truncated", 45},
    {"schema_version", 46},
    {"ua_browser", 47},
    {"ua_browser_version", 48},
    {"ua_os", 49},
    {"ua_os_version", 50},
    {"ua_device", 51},
    {"ua_device_brand", 52},
    {"ua_device_model", 53},
    {"is_bot", 54},
    {"bot_name", 55},
    {"referrer_medium", 56},
    {"referrer_source", 57},
    {"referrer_term", 58},
    {"click_id_kind", 59},
}};

constexpr std::array<field, rows.size()> numbered() {
  std::array<field, rows.size()> out = rows;
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (const auto& [name, id] : column_ids) {
      if (name != out[i].name) continue;
      if (out[i].id != 0) throw "a field has two ids";  // fails compilation
      out[i].id = id;
    }
    if (out[i].id <= 0) throw "a field has no id in column_ids";  // fails compilation
    for (std::size_t j = 0; j < i; ++j) {
      if (out[j].id == out[i].id) throw "two fields share an id";  // fails compilation
    }
  }
  return out;
}
inline constexpr std::array<field, rows.size()> table = numbered();
static_assert(table.size() < 64, "field_index() must fit a 64-bit seen set");

}  // namespace clicktrail::event::detail
