#pragma once
// The per-partition intent object, `_clicktrail/intents/<topic>+<partition>`: which generation of
// owners the partition is in, how far it has been committed, and the files that may exist in the
// store without being covered by a commit (open uploads, and complete files above the committed
// offset). A file is listed before any of its bytes can reach the store, so that recovery knows
// what an interrupted — or stalled — owner may leave behind. Owners replace the object only by
// compare-and-swap (partition_claim.h), which is what fences out an owner that lost the partition.
//
// Format: text, one field per line.
//   clicktrail-intent 2
//   generation 7             owners so far; the current one's file keys end in "-g7"
//   committed 12345          the highest offset committed for the partition: the high-water mark
//   writer 0190ab…           the owner's term that wrote this version, and its count of writes:
//   sequence 3               every version's bytes differ, so a write whose answer was lost is
//                            recognised as one's own
//   file events/…/t+3+00000000000000012345-g7.parquet
// Version 1, before generations, was the file lines alone; it reads as generation 0.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace clicktrail::sink {

struct intent {
  std::int64_t generation = 0;
  std::int64_t committed = 0;
  std::string writer;
  std::int64_t sequence = 0;
  std::vector<std::string> files;

  bool operator==(const intent&) const = default;
};

std::string intent_key(std::string_view source_name, std::int32_t partition);

std::string encode_intent(const intent& i);
// Fails, naming the line, on text that is neither version; the caller names the object.
base::result<intent> decode_intent(std::string_view text);

// "<table>/<time partition>/<source>+<partition>+<offset, 20 digits>-g<generation>.<extension>"
std::string file_key(std::string_view table, std::string_view time_partition, std::string_view source_name,
                     std::int32_t partition, std::int64_t start_offset, std::int64_t generation,
                     std::string_view extension);

// The start offset encoded in a file key's name; nullopt when the name does not end in
// "+<20 digits>-g<generation>.<extension>" (or, from before generations, "+<20 digits>.<extension>").
std::optional<std::int64_t> start_offset_of(std::string_view key);

// The extension of a file key's name ("parquet", "jsonl.gz"): what follows the offset and generation.
std::string_view extension_of(std::string_view key);

}  // namespace clicktrail::sink
