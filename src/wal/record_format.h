#pragma once
// How the embedded log frames a record in a segment file:
//
//   u32 length of payload | u32 CRC32C of (timestamp, payload) | i64 timestamp (ms) | payload
//
// little-endian. A record whose frame does not fit the file or whose CRC differs is a torn
// write (the tail of a crash) or damage; recovery tells which by where it is.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clicktrail::wal {

inline constexpr std::size_t frame_header_bytes = 16;
// A record larger than this is refused on append and read as damage: it bounds what a corrupt
// length can make the reader allocate.
inline constexpr std::size_t max_record_bytes = 16u << 20;

std::uint32_t crc32c(std::string_view a, std::string_view b = {});

void append_frame(std::string& out, std::int64_t timestamp_ms, std::string_view payload);

struct frame {
  std::int64_t timestamp_ms = 0;
  std::string_view payload;
  std::size_t size = 0;  // header + payload
};
// The frame at the front of `bytes`, or nullopt when it is incomplete or fails its CRC.
std::optional<frame> read_frame(std::string_view bytes);

}  // namespace clicktrail::wal
