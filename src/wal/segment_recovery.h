#pragma once
// Opening a log directory: every segment read back (segment_scan.h) and made whole again.
//
// A torn tail — bytes holding no whole frame at the end of the newest segment — is what a crash
// during a write leaves; none of it was acknowledged (the committer answers only after
// fdatasync, and writes the next batch only after answering). It is cut off and counted
// (clicktrail_wal_torn_tails_total), with a warning.
//
// Damage is anything else that is not a whole frame: bytes followed by whole frames, or any such
// bytes in an older segment (an older segment was synced whole before the next one began). A
// damaged segment is moved aside, never deleted: its whole frames are copied into a new file
// under its name, with a gap frame (record_format.h) for the offsets whose records were lost, and
// the original becomes <segment>.damaged. The log then goes on with every readable record; an
// error line names the file, the damaged bytes, the records kept and the offsets lost, and
// clicktrail_wal_damaged_segments_total and clicktrail_wal_damaged_files count it.
//
// Offsets: each record kept gets the highest offset it can have had, so that no offset goes back
// or holds another record, and a reader that committed an offset (the sink) goes on from it. That
// is its own offset whenever the number of records lost is known: one bad record whose length
// survived, or damage in an older segment, whose end the next segment's name gives. Otherwise
// (the length of a bad frame in the newest segment was hit too) it assumes the most records the
// damaged bytes can have held, one per 16 bytes: records after the damage may then move up and a
// reader that had read them reads them again; none is skipped.
//
// The rebuild is crash-safe: the new file (<segment>.rebuild) is synced before the original is
// renamed, and an open that finds a .rebuild file finishes it (the original is gone) or redoes
// it (the original is still there).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "wal/file_system.h"

namespace clicktrail::wal {

struct probe;

struct segment_info {
  std::int64_t base = 0;   // offset of its first record
  std::int64_t count = 0;  // offsets it holds: records, and the gaps damage left
  std::int64_t bytes = 0;  // whole frames
  std::string path;
};

std::string segment_path(const std::string& dir, std::int64_t base);
// The base of a segment from its file name ("00000000000000000042.seg" → 42); nullopt for any
// other name (a .damaged or .rebuild file, a stray file).
std::optional<std::int64_t> segment_base(std::string_view file_name);

// Every segment of `dir`, by base, each made whole. Errors when segments are missing between
// others, or a file cannot be read or written. `log_name` labels log lines.
base::result<std::vector<segment_info>> recover_segments(file_system& files, const std::string& dir,
                                                         const std::string& log_name, probe& probe);

}  // namespace clicktrail::wal
