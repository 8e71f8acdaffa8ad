#pragma once
// The binary form of a stored event: the Kafka record value the collector writes unless told to
// write JSON (ingest.record_format). It is one marker byte, 0xC1, then the event as a Protocol
// Buffers message whose field numbers are the schema's field ids (docs/record.proto, generated
// from fields.cc): any protobuf library reads it once the marker is stripped.
//
// Why not JSON: no names to write, escape, compress, send, store and parse again for every
// event, and no text-to-number conversions. The record is about a third smaller before
// compression, and the sink reads it without a JSON parser. 0xC1 never starts a JSON text (nor
// any UTF-8 text), so a reader tells the two forms apart by the first byte and reads both:
// decode_stored() does.
//
// Wire form, field by field in the schema's order, absent fields left out (as in JSON):
//   text, props (compact JSON text)   tag (id << 3 | 2), varint length, the bytes (UTF-8)
//   integers                          tag (id << 3 | 0), zigzag varint (protobuf's sint64/sint32)
//   booleans                          tag (id << 3 | 0), varint 0 or 1 (`truncated` only when true)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/uuid.h"
#include "event/event.h"

namespace clicktrail::event {

inline constexpr char binary_record_marker = '\xC1';

inline bool is_binary_record(std::string_view record) noexcept {
  return !record.empty() && record.front() == binary_record_marker;
}

// Appends the binary record of `e` to `out`. Text that is not valid UTF-8 (only possible in
// strings the collector set from raw bytes, like `ua`) is written with U+FFFD in place of each
// bad sequence, as encode() does, so that both forms read back to the same event.
void encode_binary(const event& e, std::string& out);

// Reads a binary record back (marker included). Trusts nothing, like decode_stored: a truncated
// or malformed message, an unknown field id, a value of the wrong wire type or out of range, text
// that is not UTF-8, props that are not a compact JSON object, or a missing field that
// encode_binary always writes is an error with outcome::reject whose message names it.
// `named`, if given, gets the set of fields the record holds (bit field_index(f)).
base::result<event> decode_binary(std::string_view record, std::uint64_t* named = nullptr);
// The same into `out`, a default-constructed event (encode.h's decode_stored_into). `id`, if
// given, gets event_id's 16 bytes, which the check of its text parsed anyway.
base::status decode_binary_into(std::string_view record, event& out, std::uint64_t* named = nullptr,
                                std::optional<base::uuid>* id = nullptr);

// docs/record.proto: the message, generated from the field table; a test keeps the committed
// copy current.
std::string record_proto();

}  // namespace clicktrail::event
