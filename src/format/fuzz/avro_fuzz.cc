// libFuzzer target: any bytes as an Avro container file. Reading must never crash or read out of
// bounds; and every datum that reads prints as JSON that, written back through the same schema,
// prints the same again (the JSON encoding loses nothing the reader kept). Any difference aborts.

#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "format/avro/binary.h"
#include "format/avro/container.h"
#include "format/avro/json_datum.h"
#include "format/avro/schema.h"

namespace {

using namespace clicktrail::format;

[[noreturn]] void broken(const std::string& what) {
  std::fprintf(stderr, "broken promise: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = avro::read_container({reinterpret_cast<const char*>(data), size});
  if (!file) return 0;
  const auto schema = avro::parse_schema(file->schema_json);
  if (!schema) return 0;
  simdjson::dom::parser parser;
  for (const auto& block : file->blocks) {
    avro::decoder in(block.datums);
    for (std::int64_t i = 0; i < block.count && in.ok(); ++i) {
      std::string json;
      avro::datum_to_json(*schema, 0, in, json);
      if (!in.ok()) break;
      simdjson::dom::element value;
      if (parser.parse(json).get(value) != simdjson::SUCCESS)
        broken("a datum printed as invalid JSON: " + json);
      std::string binary, why;
      if (!avro::datum_from_json(*schema, 0, value, binary, why)) broken("printed JSON refused back: " + why);
      avro::decoder again(binary);
      std::string json_again;
      avro::datum_to_json(*schema, 0, again, json_again);
      if (!again.ok() || again.remaining() != 0 || json_again != json) broken("a datum changed: " + json);
    }
  }
  return 0;
}
