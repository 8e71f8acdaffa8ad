#pragma once
// Reading a segment file back when the log opens: its runs of whole frames, the damaged bytes
// between them, and a tail of bytes that hold no whole frame.
//
// After a frame that is incomplete or fails its CRC at byte X, the scan looks for the next whole
// frame. First where the bad frame's own length says the next one starts: when a whole frame is
// there, the length survived (the damage is in the bad frame's timestamp, CRC or payload) and
// exactly one record was lost. Otherwise byte by byte, at the first position whose header is
// plausible (a length the log writes, a timestamp between the years 2000 and 2100: random bytes
// pass both about once in 2^29 positions) and whose CRC matches; the damaged bytes between held
// at most one record per frame_header_bytes. When no whole frame follows, the bytes from X on
// are the tail: a torn write in the newest segment, damage in an older one (segment_recovery.h).

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "wal/file_system.h"

namespace clicktrail::wal {

struct scanned_piece {
  std::int64_t begin = 0, end = 0;  // bytes of the file
  bool damaged = false;
  // Whole frames: the offsets they hold (a record holds one, a gap frame its count). Damaged
  // bytes: the most offsets they can have held.
  std::int64_t offsets = 0;
  std::int64_t records = 0;  // whole frames only: records among them
};

struct segment_scan {
  std::int64_t size = 0;
  std::vector<scanned_piece> pieces;  // in file order: whole frames, and damage followed by whole frames
  std::int64_t tail = 0;              // where the bytes with no whole frame begin; size when there are none

  bool damaged() const;          // damaged bytes before the tail
  std::int64_t offsets() const;  // held by whole frames
  std::int64_t records() const;  // whole records
};

// Reads `in` from start to end, at most 4 MiB (or one record) at a time.
base::result<segment_scan> scan_segment(file& in);

}  // namespace clicktrail::wal
