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

// For writers that grow their output ahead and write at a pointer (encode()):
// The bytes past a string literal that put_plain_string reads (it looks at what it copied, in
// blocks of 16).
inline constexpr std::size_t plain_string_slack = 16;
// `s` as a JSON string literal at `at`, which has room for s.size() + 2 + plain_string_slack bytes,
// when it needs no escape or replacement, as nearly every string; returns the byte after it. The
// room must be initialized bytes (inside a string's size, not only its capacity): they are read.
// Returns nullptr when `s` needs write_string (what it wrote at `at` is then to be written over).
char* put_plain_string(char* at, std::string_view s) noexcept;
// The most bytes put_int writes.
inline constexpr std::size_t max_int_bytes = 20;
// `v` in decimal at `at`, which has room for max_int_bytes; returns the byte after it.
char* put_int(char* at, std::int64_t v) noexcept;

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
