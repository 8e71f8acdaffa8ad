#pragma once
// The per-partition intent object, `_clicktrail/intents/<topic>+<partition>`: the keys of the
// files that may exist in the store without being covered by a commit (open uploads, and complete
// files above the committed offset). It is written before any of those files' bytes are sent,
// so that recovery knows what an interrupted run may have left behind.
//
// Format: one object key per line.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clicktrail::sink {

std::string intent_key(std::string_view source_name, std::int32_t partition);

std::string encode_intent(const std::vector<std::string>& keys);
std::vector<std::string> decode_intent(std::string_view text);

// "<table>/<time partition>/<source>+<partition>+<offset, 20 digits>.<extension>"
std::string file_key(std::string_view table, std::string_view time_partition, std::string_view source_name,
                     std::int32_t partition, std::int64_t start_offset, std::string_view extension);

// The start offset encoded in a file key's name; nullopt when the name does not end in
// "+<20 digits>.<extension>".
std::optional<std::int64_t> start_offset_of(std::string_view key);

}  // namespace clicktrail::sink
