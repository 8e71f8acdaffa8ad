#pragma once
// Avro object container files (the specification's "Object Container Files"), the form of
// Iceberg's manifests and manifest lists: a header with the writer's schema and metadata, then
// blocks of datums, each ended by the file's 16-byte sync marker. Codecs "null" and "deflate";
// the reader also takes "zstandard" and "snappy", which other Iceberg writers may choose.
//
// Files are small (a manifest lists a commit's data files), so both directions work on whole
// files in memory.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace clicktrail::format::avro {

enum class codec : std::uint8_t { null, deflate };

class container_writer {
 public:
  // `schema_json`: the writer's schema, stored in the header as avro.schema. `sync`: the marker
  // ending each block; a file's bytes depend only on their inputs when it is given.
  container_writer(std::string schema_json, codec c, std::map<std::string, std::string> metadata,
                   std::array<char, 16> sync);

  // One datum, already in Avro's binary encoding for the schema.
  void append(std::string_view datum);
  // The file: header, blocks, each of at most ~64 KiB of datums before compression.
  std::string finish();

 private:
  void flush_block();

  codec codec_;
  std::array<char, 16> sync_;
  std::string file_;
  std::string block_;
  std::int64_t block_count_ = 0;
};

// A random sync marker, for files that need not be reproducible.
std::array<char, 16> random_sync();

struct container {
  std::string schema_json;
  std::map<std::string, std::string> metadata;  // avro.schema and avro.codec included
  struct block {
    std::int64_t count = 0;
    std::string datums;  // decompressed: `count` datums back to back
  };
  std::vector<block> blocks;
};

// Reads a whole container file; a malformed one is an error that says what and where.
base::result<container> read_container(std::string_view file);

}  // namespace clicktrail::format::avro
