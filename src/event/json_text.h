#pragma once
// Writing JSON text: string literals, integers and simdjson DOM values in compact form. Shared by
// encode() (the canonical record) and decode (props are kept as compact JSON text).

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace clicktrail::event {

// Appends `s` as a JSON string literal. '"', '\\' and the control characters are escaped (the
// controls as \u00XX); everything else is copied, so non-ASCII text stays readable. Invalid UTF-8
// (only possible in strings the collector set from raw bytes) becomes U+FFFD: the output is
// always valid UTF-8 JSON.
void write_string(std::string& out, std::string_view s);
// "key":"value", both as write_string writes them: a member of an object being written.
void write_member(std::string& out, std::string_view key, std::string_view value);

void write_int(std::string& out, std::int64_t v);

// A finite double in its shortest round-trip form, with a '.' or an exponent (see write_compact).
void write_double(std::string& out, double d);

// Appends `value` as compact JSON. Returns false, with `out` partly written, when containers nest
// more than `max_depth` deep (a lone object is depth 1).
//
// Doubles are written in their shortest round-trip form and always with a '.' or an exponent,
// so that reading the text back gives a double again and writing that gives the same text:
// decode_stored(encode(e)) reproduces props byte for byte.
bool write_compact(std::string& out, simdjson::dom::element value, std::size_t max_depth);

// The longest prefix of `s` (valid UTF-8) that fits in `max_bytes` without splitting a character.
std::string_view cut_utf8(std::string_view s, std::size_t max_bytes) noexcept;

}  // namespace clicktrail::event
