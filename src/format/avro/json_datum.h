#pragma once
// Avro datums to and from Avro's JSON encoding (the specification's "JSON Encoding", as
// avro-tools' tojson and fromjson and fastavro's json_reader and json_writer use it): a union's
// non-null value is wrapped as {"type name": value}, bytes and fixed are strings of the code
// points U+0000–U+00FF. `clicktrail avro` prints and writes Avro files through these.

#include <simdjson.h>

#include <cstddef>
#include <optional>
#include <string>

#include "format/avro/binary.h"
#include "format/avro/schema.h"

namespace clicktrail::format::avro {

// Reads one datum of schema node `node` from `in` and appends it to `out` as compact JSON.
// A malformed datum sets in's error (and `out` holds part of it).
void datum_to_json(const schema& s, std::size_t node, decoder& in, std::string& out);

// Appends the binary encoding of `value`, a datum of node `node` in the JSON encoding, to `out`;
// false with `why` when the value does not fit the schema.
bool datum_from_json(const schema& s, std::size_t node, simdjson::dom::element value, std::string& out,
                     std::string& why);

// The bytes a JSON-encoded bytes or fixed value stands for (each code point U+0000–U+00FF one
// byte), or nullopt when it holds a code point above U+00FF.
std::optional<std::string> bytes_from_json(std::string_view text);

}  // namespace clicktrail::format::avro
