#pragma once
// How the embedded log frames a record in a segment file:
//
//   u32 length of payload | u32 CRC32C of (timestamp, payload) | i64 timestamp (ms) | payload
//
// little-endian. A record whose frame does not fit the file or whose CRC differs is a torn
// write (the tail of a crash) or damage; recovery tells which by where it is (segment_scan.h).
//
// A gap frame stands for offsets whose records were lost to damage; recovery writes one where it
// rebuilds a damaged segment, so that the records after it keep their offsets:
//
//   u32 (gap_flag | 8) | u32 CRC32C of (timestamp, count) | i64 timestamp (ms) | i64 count
//
// No record's length has the top bit set (they are at most max_record_bytes), so an older reader
// takes a gap frame for damage, never for a record.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clicktrail::wal {

inline constexpr std::size_t frame_header_bytes = 16;
// A record larger than this is refused on append and read as damage: it bounds what a corrupt
// length can make the reader allocate.
inline constexpr std::size_t max_record_bytes = 16u << 20;
inline constexpr std::uint32_t gap_flag = 0x8000'0000u;
inline constexpr std::size_t gap_frame_bytes = frame_header_bytes + 8;

std::uint32_t crc32c(std::string_view a, std::string_view b = {});

void append_frame(std::string& out, std::int64_t timestamp_ms, std::string_view payload);
void append_gap_frame(std::string& out, std::int64_t timestamp_ms, std::int64_t offsets);

struct frame {
  std::int64_t timestamp_ms = 0;
  std::string_view payload;  // a record's value; empty for a gap frame
  std::size_t size = 0;      // header + payload
  std::int64_t gap = 0;      // a gap frame: the offsets it stands for (> 0); a record: 0
  std::int64_t offsets() const noexcept { return gap > 0 ? gap : 1; }
};
// The frame at the front of `bytes`, or nullopt when it is incomplete or fails its CRC.
std::optional<frame> read_frame(std::string_view bytes);

// From a frame header (the first frame_header_bytes of `header`): the size of the whole frame it
// announces, or nullopt when its length field cannot be a frame's.
std::optional<std::size_t> announced_size(std::string_view header);
std::int64_t header_timestamp(std::string_view header);

}  // namespace clicktrail::wal
