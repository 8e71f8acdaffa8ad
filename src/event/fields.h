#pragma once
// The schema's fields, declared once: JSON name, where the value lives in `event`, its column
// limit and who sets it. decode_batch, encode, decode_stored and docs/event-schema.md all follow
// this table, so a field is added here and nowhere else (STYLE.md rule 2). The rows are in
// `event`'s member order, which is also the order encode() writes them in.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "event/event.h"

namespace clicktrail::event {

// Who puts the value in: the tracker in the browser, the collector as the event arrives, or the
// collector's enrichment step (user agent, UTM, geo).
enum class setter : std::uint8_t { tracker, collector, enrichment };

// What a string must look like beyond being a JSON string.
enum class rule : std::uint8_t {
  none,         // free text: cut at `max_bytes` on a UTF-8 boundary and flag `truncated`
  uuid,         // event_id: the canonical 8-4-4-4-12 form
  event_type,   // type: a known type or [a-z][a-z0-9_.:-]{0,63}
  key,          // site: an identifier the collector matches, so too long is refused, never cut
  json_object,  // props: a JSON object, kept as compact text
  unix_ms,      // an integer time in ms since 1970 (a timestamp column in Parquet)
};

// The member a field's value is read into and written from.
using member_pointer =
    std::variant<std::string event::*, opt_string event::*, opt_i64 event::*, opt_i32 event::*,
                 std::optional<bool> event::*, std::int64_t event::*, bool event::*, std::int32_t event::*>;

struct field {
  std::string_view name;  // the JSON key
  member_pointer where;
  setter by;
  bool from_tracker;  // the tracker may send it (site: the collector sets it, a tracker may too)
  rule check = rule::none;
  std::size_t max_bytes = 0;      // strings: the column limit
  std::int64_t min = 0, max = 0;  // integers: the accepted range, inclusive
  std::string_view note = {};     // one line for docs/event-schema.md
  std::int32_t id = 0;            // the column's id in Iceberg and Parquet (fields.cc, column_ids)
};

inline constexpr std::size_t kib = 1024;
inline constexpr std::int64_t max_unix_ms = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z

std::span<const field> all_fields() noexcept;

// What a field's values are, from its member's type and rule: what other formats map each field
// by (Iceberg's schema, docs/event-schema.md).
enum class value_kind : std::uint8_t { text, json, timestamp, int64, int32, boolean };
value_kind kind_of(const field& f) noexcept;
// A member that is not std::optional: every event has a value (a bool is false when unset).
bool is_required(const field& f) noexcept;
// The fields every stored record holds, JSON or binary (bit field_index(f)): the required ones
// but `truncated`, which is written only when true.
std::uint64_t always_written_fields() noexcept;

// The rows from this index on are the ones the sink fills after reading a record (ua_browser …
// click_id_kind): last in the table, so that they can be appended to the record (encode_tail).
std::size_t sink_fields_begin() noexcept;

// The field named `name`, or nullptr. Fast enough for every key of every event.
const field* find_field(std::string_view name) noexcept;

// The position of `f` in all_fields(): a bit index for "seen" sets (there are fewer than 64).
inline std::size_t field_index(const field& f) noexcept {
  return static_cast<std::size_t>(&f - all_fields().data());
}

// Cuts every free-text field of `e` to its column limit, at a UTF-8 character boundary, and sets
// `truncated` if any was cut. decode_batch already does this for what the tracker sent; the
// collector calls it after filling ua, ip and the enrichment fields. Returns whether it cut.
// `first`: only the fields from all_fields()[first] on, and without setting `truncated` (the sink's
// fields, which come after it).
bool cut_to_column_limits(event& e);
bool cut_to_column_limits_from(event& e, std::size_t first);

// docs/event-schema.md, generated from the table; a test keeps the committed copy current.
std::string schema_markdown();

}  // namespace clicktrail::event
