#include "event/fields.h"

#include <array>
#include <cstring>
#include <limits>
#include <vector>

#include "event/json_text.h"

namespace clicktrail::event {
namespace {

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
constexpr std::array<field, rows.size()> table = numbered();
static_assert(table.size() < 64, "field_index() must fit a 64-bit seen set");

// An open-addressing hash table of the names, built at compile time, with each name stored in
// its slot: a lookup hashes four bytes and usually compares one name, in one cache line, for
// every key of every event.
constexpr std::size_t slots = 128;
constexpr std::size_t longest_name = 24;

struct name_slot {
  char name[longest_name] = {};
  std::uint8_t size = 0;  // 0: empty
  std::uint8_t row = 0;   // the field's index in `table`
};

constexpr std::size_t slot_of(std::string_view name) noexcept {
  const auto byte = [&](std::size_t i) {
    return static_cast<std::size_t>(static_cast<unsigned char>(name[i]));
  };
  return (name.size() * 131 + byte(0) * 31 + byte(name.size() - 1) * 7 + byte(name.size() / 2)) % slots;
}

constexpr std::array<name_slot, slots> make_name_index() {
  std::array<name_slot, slots> index{};
  for (std::size_t i = 0; i < table.size(); ++i) {
    const std::string_view name = table[i].name;
    if (name.empty() || name.size() > longest_name)
      throw "a field name is empty or too long";  // fails compilation
    std::size_t at = slot_of(name);
    while (index[at].size != 0) at = (at + 1) % slots;
    for (std::size_t c = 0; c < name.size(); ++c) index[at].name[c] = name[c];
    index[at].size = static_cast<std::uint8_t>(name.size());
    index[at].row = static_cast<std::uint8_t>(i);
  }
  return index;
}
constexpr std::array<name_slot, slots> name_index = make_name_index();

std::uint64_t load8(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
std::uint32_t load4(const char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Names are short (at most 24 bytes): compare them a word at a time, the first and last words
// overlapping, rather than byte by byte or through a call to memcmp.
bool same(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char *x = a.data(), *y = b.data();
  if (n >= 8) {
    return load8(x) == load8(y) && load8(x + n - 8) == load8(y + n - 8) &&
           (n <= 16 || load8(x + 8) == load8(y + 8));
  }
  if (n >= 4) return load4(x) == load4(y) && load4(x + n - 4) == load4(y + n - 4);
  for (std::size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return false;
  }
  return true;
}

}  // namespace

std::size_t sink_fields_begin() noexcept {
  static const std::size_t first = field_index(*find_field("ua_browser"));
  return first;
}

std::span<const field> all_fields() noexcept {
  return table;
}

value_kind kind_of(const field& f) noexcept {
  if (f.check == rule::json_object) return value_kind::json;
  if (f.check == rule::unix_ms) return value_kind::timestamp;
  return std::visit(
      [](auto m) {
        using member = std::remove_cvref_t<decltype(std::declval<const event&>().*m)>;
        if constexpr (std::is_same_v<member, std::string> || std::is_same_v<member, opt_string>)
          return value_kind::text;
        else if constexpr (std::is_same_v<member, std::int64_t> || std::is_same_v<member, opt_i64>)
          return value_kind::int64;
        else if constexpr (std::is_same_v<member, std::int32_t> || std::is_same_v<member, opt_i32>)
          return value_kind::int32;
        else
          return value_kind::boolean;
      },
      f.where);
}

std::uint64_t always_written_fields() noexcept {
  static const std::uint64_t set = [] {
    std::uint64_t s = 0;
    for (const field& f : all_fields()) {
      if (is_required(f) && !std::holds_alternative<bool event::*>(f.where)) s |= 1ULL << field_index(f);
    }
    return s;
  }();
  return set;
}

bool is_required(const field& f) noexcept {
  return std::visit(
      [](auto m) {
        using member = std::remove_cvref_t<decltype(std::declval<const event&>().*m)>;
        return std::is_same_v<member, std::string> || std::is_same_v<member, std::int64_t> ||
               std::is_same_v<member, std::int32_t> || std::is_same_v<member, bool>;
      },
      f.where);
}

namespace {

// The fields cut_to_column_limits_from looks at, found once: the collector cuts every event it
// stamps, and walking the whole table's variants for them cost ~650 instructions an event.
struct limited_text {
  opt_string event::*member;
  std::size_t max_bytes;
  std::size_t index;  // in the field table
};

const std::vector<limited_text>& limited_texts() {
  static const std::vector<limited_text> all = [] {
    std::vector<limited_text> v;
    for (std::size_t i = 0; i < table.size(); ++i) {
      const auto* m = std::get_if<opt_string event::*>(&table[i].where);
      if (m && table[i].check == rule::none) v.push_back({*m, table[i].max_bytes, i});
    }
    return v;
  }();
  return all;
}

}  // namespace

bool cut_to_column_limits_from(event& e, std::size_t first) {
  bool cut = false;
  for (const limited_text& t : limited_texts()) {
    if (t.index < first) continue;
    opt_string& value = e.*t.member;
    if (value && value->size() > t.max_bytes) {
      value->resize(cut_utf8(*value, t.max_bytes).size());
      cut = true;
    }
  }
  return cut;
}

bool cut_to_column_limits(event& e) {
  const bool cut = cut_to_column_limits_from(e, 0);
  if (cut) e.truncated = true;
  return cut;
}

const field* find_field(std::string_view name) noexcept {
  if (name.empty() || name.size() > longest_name) return nullptr;
  for (std::size_t at = slot_of(name); name_index[at].size != 0; at = (at + 1) % slots) {
    const name_slot& slot = name_index[at];
    if (same({slot.name, slot.size}, name)) return &table[slot.row];
  }
  return nullptr;
}

}  // namespace clicktrail::event
