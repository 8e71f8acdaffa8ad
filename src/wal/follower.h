#pragma once
// Following an embedded log from outside the process that owns it: `clicktrail tail` reads the
// segments a running `clicktrail run` appends to. It does not open the log as a wal::log, which
// would recover it (cut torn tails, rebuild damaged segments) and append to it: a follower only
// lists the directory and opens segment files for reading. It never writes, creates, renames,
// removes or locks a file, so the owner never notices it.
//
// What it hands out: whole frames (record_format.h), with the offsets wal::log gives them (a
// segment's base, from its name, plus the offsets of the frames before; a gap frame counts its
// offsets and yields no record).
//
// Where it waits: bytes at the end of a segment that hold no whole frame are a batch the
// committer is still writing (or a torn tail a crash left, which a restart cuts and writes over
// in the same file); the follower reads from the same byte again at the next poll until a whole
// frame is there. A segment is finished once a newer one exists (the committer writes a
// segment whole before it creates the next): the follower reads what is left of it once more,
// then goes on at the next segment; bytes still left that hold no frame are damage, skipped with
// a warning. A segment that retention deletes under it is read to its end through the open
// handle. A segment replaced under it (a restarted owner moved a damaged one aside and rebuilt
// it) is opened again at its name and read on from the same offset; the rebuild may have moved
// records up (segment_recovery.h), and those are handed out again.
//
// Thread: one thread owns a follower and makes every call.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "wal/file_system.h"
#include "wal/log.h"  // stored_record

namespace clicktrail::wal {

class follower {
 public:
  enum class start { beginning, end };

  // Fails when `dir` cannot be listed (it does not exist: the caller names the fix). A directory
  // without segments yet is followed from its first segment once one appears.
  static base::result<std::unique_ptr<follower>> open(std::string dir, start from,
                                                      file_system& files = posix_files());

  // The whole records appended since the last call (from the start, the first call), at most
  // `max`; empty when there are none. Never waits.
  base::result<std::vector<stored_record>> poll(std::size_t max);

  // The offset of the next record it will hand out.
  std::int64_t next_offset() const noexcept { return offset_; }
  const std::string& dir() const noexcept { return dir_; }

 private:
  follower(std::string dir, file_system& files) : dir_(std::move(dir)), files_(files) {}

  // The bases of the segments in dir_, lowest first.
  base::result<std::vector<std::int64_t>> segments();
  // Opens the segment at `base`, at its first byte; false when it is gone (deleted meanwhile).
  base::result<bool> open_segment(std::int64_t base);
  // Whole frames from byte_ on, into `out` (at most `max` records; none when `out` is null),
  // stopping before a frame at offset `until` or past, and at the first position that holds no
  // whole frame.
  base::status read_frames(std::vector<stored_record>* out, std::size_t max, std::int64_t until);
  // The current segment is finished: opens the first of the `newer` ones still there. False when
  // retention deleted them all meanwhile.
  base::result<bool> go_to_newer(const std::vector<std::int64_t>& newer);
  // Whether another file took the current segment's name; if so, reads on in it from offset_.
  base::result<bool> reopen_if_replaced();

  const std::string dir_;
  file_system& files_;
  std::unique_ptr<file> in_;  // the current segment; null before the first one exists
  std::string path_;
  std::int64_t base_ = -1;  // the current segment's base
  std::int64_t byte_ = 0;   // where its next frame starts
  std::int64_t offset_ = 0;
};

}  // namespace clicktrail::wal
