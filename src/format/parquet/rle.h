#pragma once
// Parquet's RLE/bit-packed hybrid encoding, for definition levels and dictionary indices: runs of
// one repeated value as (count, value), everything else bit-packed in groups of eight.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace clicktrail::format::parquet {

// Appends `values` (each below 2^bit_width) in the hybrid encoding, without a length prefix.
void append_rle_hybrid(std::string& out, std::span<const std::uint32_t> values, int bit_width);
void append_rle_hybrid(std::string& out, std::span<const std::uint8_t> values, int bit_width);

// Reads `count` values of `bit_width` bits from `in` into `out` (cleared first). A refusal says
// what is wrong with the bytes; the caller names the file.
base::status read_rle_hybrid(std::string_view in, int bit_width, std::size_t count,
                             std::vector<std::uint32_t>& out);

// The fewest bits that hold every value below `count` (0 for one value or none).
int bit_width_for(std::size_t count);

}  // namespace clicktrail::format::parquet
