#pragma once
// The canonical form of an event: compact JSON with fields in schema order, absent fields
// omitted, `props` embedded as its JSON object. This is the JSON Lines line, and the Kafka record
// value when the collector's ingest.record_format is "json" (binary_record.h has the other form);
// decode_stored() reads either back (the sink's input).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/uuid.h"
#include "event/event.h"

namespace clicktrail::event {

// Appends the canonical JSON of `e` to `out` (no trailing newline).
void encode(const event& e, std::string& out);

// Appends the fields of `e` from all_fields()[first] on, and the closing '}'. When `out` holds a
// canonical record, less its '}', in which none of those fields is present, the result is what
// encode(e) writes: the sink adds its fields to the record it read this way, without encoding
// the whole event again.
void encode_tail(const event& e, std::size_t first, std::string& out);

// Reads a canonical record, or a binary one (binary_record.h, told apart by its first byte), back.
// Trusts nothing: anything that is not a valid schema-v1 record
// is an error with outcome::reject, whose message names the problem (the sink sends such
// records to the bad table).
// `named`, if given, gets the set of fields the record names, null ones too (bit field_index(f)).
base::result<event> decode_stored(std::string_view json, std::uint64_t* named = nullptr);
// The same into `out`, a default-constructed event: the sink decodes into the record it routes,
// without moving the event (some fifty members) twice.
// `id`, if given, gets event_id's 16 bytes when the record is a binary one, and nullopt when not.
base::status decode_stored_into(std::string_view json, event& out, std::uint64_t* named = nullptr,
                                std::optional<base::uuid>* id = nullptr);

}  // namespace clicktrail::event
