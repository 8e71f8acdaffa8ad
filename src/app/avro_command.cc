// `clicktrail avro cat FILE` and `clicktrail avro from-json`: Avro object container files (the
// form of Iceberg's manifests and manifest lists) printed as JSON Lines, and written from them,
// in Avro's JSON encoding — to look inside a table's metadata, or to write a file by hand.

#include <fmt/format.h>
#include <simdjson.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include "app/commands.h"
#include "app/input_files.h"
#include "format/avro/binary.h"
#include "format/avro/container.h"
#include "format/avro/json_datum.h"
#include "format/avro/schema.h"

namespace clicktrail::app {
namespace {

// Avro files here are table metadata, read whole; a bound keeps a wrong path from filling memory.
constexpr std::size_t max_file_bytes = std::size_t{1} << 30;

}  // namespace

int avro_cat(const avro_cat_options& o) {
  namespace avro = format::avro;
  const auto bytes = read_whole_file(o.file, max_file_bytes);
  if (!bytes) return exit_failure;
  const auto file = avro::read_container(*bytes);
  if (!file) {
    fmt::print(stderr, "{}: {}\n", o.file, file.err().message);
    return exit_failure;
  }
  if (o.schema) {
    fmt::print("{}\n", file->schema_json);
    return exit_ok;
  }
  if (o.metadata) {
    for (const auto& [key, value] : file->metadata) fmt::print("{}\t{}\n", key, value);
    return exit_ok;
  }
  const auto schema = avro::parse_schema(file->schema_json);
  if (!schema) {
    fmt::print(stderr, "{}: {}\n", o.file, schema.err().message);
    return exit_failure;
  }
  std::string line;
  std::size_t block_number = 0;
  for (const auto& block : file->blocks) {
    ++block_number;
    avro::decoder in(block.datums);
    for (std::int64_t i = 0; i < block.count; ++i) {
      line.clear();
      avro::datum_to_json(*schema, 0, in, line);
      if (!in.ok()) {
        fmt::print(stderr, "{}: datum {} of block {} does not match the file's schema: {}\n", o.file, i + 1,
                   block_number, in.error());
        return exit_failure;
      }
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
    if (in.remaining() != 0) {
      fmt::print(stderr, "{}: block {} has {} bytes after its {} datums\n", o.file, block_number,
                 in.remaining(), block.count);
      return exit_failure;
    }
  }
  return exit_ok;
}

int avro_from_json(const avro_from_json_options& o) {
  namespace avro = format::avro;
  const auto schema_text = read_whole_file(o.schema_file, max_file_bytes);
  const auto input = read_whole_file(o.input, max_file_bytes);
  if (!schema_text || !input) return exit_failure;
  const auto schema = avro::parse_schema(*schema_text);
  if (!schema) {
    fmt::print(stderr, "{}: {}\n", o.schema_file, schema.err().message);
    return exit_bad_config;
  }
  avro::container_writer writer(*schema_text, o.deflate ? avro::codec::deflate : avro::codec::null, {},
                                avro::random_sync());
  simdjson::dom::parser parser;
  std::string datum, why;
  std::size_t line_number = 0;
  std::string_view rest = *input;
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    simdjson::dom::element value;
    if (const auto error = parser.parse(line.data(), line.size()).get(value)) {
      fmt::print(stderr, "{} line {}: not JSON ({})\n", o.input, line_number, simdjson::error_message(error));
      return exit_failure;
    }
    datum.clear();
    if (!avro::datum_from_json(*schema, 0, value, datum, why)) {
      fmt::print(stderr, "{} line {}: does not fit the schema: {}\n", o.input, line_number, why);
      return exit_failure;
    }
    writer.append(datum);
  }
  const std::string file = writer.finish();
  const std::string temp = o.output + ".tmp";
  std::ofstream out(temp, std::ios::binary | std::ios::trunc);
  out.write(file.data(), static_cast<std::streamsize>(file.size()));
  out.close();
  if (!out || std::rename(temp.c_str(), o.output.c_str()) != 0) {
    fmt::print(stderr, "cannot write {}: {}\n", o.output, std::strerror(errno));
    std::remove(temp.c_str());
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace clicktrail::app
