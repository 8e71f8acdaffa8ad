#pragma once
// The embedded durable log: what `clicktrail run` keeps events in instead of Kafka. Append-only
// segment files in one directory, named by the offset of their first record; records framed
// with their length and CRC32C (record_format.h).
//
// Durability: append() hands the record to one committer thread, which writes everything that
// arrived since its last fsync as one batch, fsyncs, and only then calls each record's `done` —
// group commit, so the collector answers 2xx only for records on disk, and one fsync serves
// every request that came in while the previous one ran. Readers see durable records only.
//
// Recovery: open() reads every segment back (segment_recovery.h). A torn tail (the newest
// segment ends in bytes that hold no whole record: a crash mid-write, never acknowledged) is cut
// off and counted. Damage before the tail moves the segment aside (<segment>.damaged, never
// deleted), keeps every readable record, and the log goes on, with an error line and metrics.
//
// Offsets are record numbers, 0, 1, 2, … for the life of the directory; records lost to damage
// leave their offsets unused (a gap), so no offset ever goes back or holds another record, and
// read() skips the gap. Segments whose records are all consumed (release()) and that are older
// than the retention are deleted; the newest segment is always kept, so offsets continue after a
// restart.
//
// Files: every file operation goes through options.files (file_system.h), the real POSIX calls
// unless a test puts its own layer there.
//
// Thread-safety: append() from any number of threads; read() and release() from any thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/metrics.h"
#include "base/result.h"
#include "wal/file_system.h"
#include "wal/segment_recovery.h"

namespace clicktrail::wal {

struct probe;

struct log_options {
  std::string dir;
  std::int64_t segment_bytes = 64LL << 20;         // a segment is closed past this size
  std::chrono::milliseconds retention{3'600'000};  // consumed segments are kept this long
  file_system* files = &posix_files();             // tests put a crash_file_system here
  // Offsets go on from at least here: the reader's committed offset. Records it had written out
  // can be lost from the log afterwards (a tail cut after damage, a directory restored from an
  // older copy); their offsets are skipped (a gap) rather than given to new records, which the
  // reader would take for ones it has.
  std::int64_t continue_from = 0;
};

struct stored_record {
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = 0;  // when it was appended
  std::string value;
};

using done_fn = std::function<void(base::status)>;

class log {
 public:
  // Opens (creating the directory when missing) and recovers. `name` labels metrics and messages.
  static base::result<std::unique_ptr<log>> open(log_options options, std::string name,
                                                 base::registry& metrics);
  ~log();  // writes what is pending, then stops the committer
  log(const log&) = delete;
  log& operator=(const log&) = delete;

  // Copies `value`; `done` runs once, on the committer thread (or here, when the log is broken),
  // with ok once the record is on disk.
  void append(std::string_view value, done_fn done);

  // Refuses later appends at once (retry) and returns once every `done` of the earlier ones has
  // run: what a shutdown needs before the objects those callbacks reach go. Reads go on.
  void settle();

  // Durable records from offset `from`, at most `max_records`, waiting up to `wait` for the first.
  // Offsets in the result rise but may skip (gaps left by damage): a reader goes on from the last
  // one plus one.
  base::result<std::vector<stored_record>> read(std::int64_t from, std::size_t max_records,
                                                std::chrono::milliseconds wait);

  std::int64_t start_offset() const;  // the first record still kept
  std::int64_t end_offset() const;    // one past the last durable record
  // Deletes the segments whose records are all below `consumed` and that are past retention.
  base::status release(std::int64_t consumed);
  // False once a write or fsync failed: the log accepts nothing more (a restart recovers).
  bool healthy() const;
  const std::string& name() const noexcept { return name_; }

 private:
  using segment = segment_info;  // count and bytes: durable ones
  log(log_options options, std::string name, base::registry& metrics);
  base::status recover();
  base::status start_segment(std::int64_t base);  // committer thread (or open)
  // Where a read stopped, so that a reader going forward does not rescan its segment.
  struct read_position {
    std::int64_t offset = -1;
    std::int64_t segment_base = -1;
    std::int64_t byte = 0;
  };
  base::result<read_position> read_segment(const segment& seg, read_position at, std::int64_t from,
                                           std::size_t max_records, std::vector<stored_record>& out);
  void commit_loop();
  base::status write_batch(const std::string& bytes);

  const log_options options_;
  const std::string name_;
  std::unique_ptr<probe> probe_;

  mutable std::mutex mutex_;
  std::condition_variable work_;     // records pending, or stopping
  std::condition_variable durable_;  // durable_end_ moved
  std::vector<segment> segments_;    // by base; the last one is being appended to
  std::int64_t durable_end_ = 0;
  std::string pending_;  // framed records waiting for the committer
  std::vector<done_fn> pending_done_;
  std::optional<base::error> broken_;
  bool stopping_ = false;
  bool settling_ = false;            // settle() was called: appends are refused
  std::size_t owed_ = 0;             // appended records whose `done` has not run yet
  std::condition_variable settled_;  // owed_ went down

  file_system& files_;
  std::unique_ptr<file> active_;  // the last segment, for appending (committer thread)
  std::thread committer_;

  read_position last_read_;
};

}  // namespace clicktrail::wal
