#pragma once
// The files of one Kafka partition: one open file per (table, time partition), each streaming
// into its upload; rotation; the intent object, through the partition's claim; and the commit
// point (commit_rule.h).
//
// With sink.table = "iceberg" the events' files are an Iceberg table's data files: the table is
// their commit record (docs/iceberg.md), so the intent lists only the bad table's files, and the
// sink commits the events' files to the table (table_files_below, table_committed) before the
// intent moves.
//
// Lifetime: created when the partition is assigned (after recovery took the claim), destroyed
// when it is revoked — which aborts open uploads and commits nothing. Used by the sink's one
// thread. An error with outcome::conflict means the claim was lost (another owner took the
// partition over): the writer must be dropped, never retried.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "format/file_writer.h"
#include "sink/commit_rule.h"
#include "sink/partition_claim.h"
#include "sink/probe.h"
#include "sink/recent_ids.h"
#include "sink/routed_record.h"
#include "sink/sink_options.h"
#include "store/object_store.h"

namespace clicktrail::sink {

class partition_writer {
 public:
  // Reading starts at claim.resume_at(); `source_committed` is what the source has committed.
  // Iceberg: `table_offset` is the offset below which the table holds the partition's events (at
  // or past the claim's; nullopt: the table records none yet): events below it are skipped.
  partition_writer(std::int32_t partition, partition_claim claim,
                   std::optional<std::int64_t> source_committed, std::optional<std::int64_t> table_offset,
                   std::string source_name, const sink_options& options, store::object_store& store,
                   probe& metrics);
  partition_writer(const partition_writer&) = delete;
  partition_writer& operator=(const partition_writer&) = delete;
  ~partition_writer() { probe_.open_files.add(-static_cast<std::int64_t>(open_.size())); }

  std::int32_t partition() const noexcept { return partition_; }
  std::int64_t committed() const noexcept { return committed_; }
  // The committed offset the source has been told of (it follows committed()).
  std::int64_t mirrored() const noexcept { return mirrored_; }
  void mirrored_to(std::int64_t offset) noexcept {
    mirrored_ = offset;
    source_has_offset_ = true;
  }
  // Whether the source (the group) holds any offset for the partition. Until it does, the intent
  // must not commit past where reading began: a restart that found the intent ahead of a group
  // with no offset could not tell a crash between the two commits from a topic created again.
  bool source_has_offset() const noexcept { return source_has_offset_; }
  // The offset that first commit gives the group: where reading began — the first record read
  // when the claim starts wherever the source's records begin (not 0, which a log whose start
  // was deleted would report as records lost), else the committed offset.
  std::int64_t first_source_offset() const noexcept {
    return claim_.from_the_start() && first_read_ ? *first_read_ : committed_;
  }
  std::int64_t generation() const noexcept { return claim_.generation(); }
  std::int64_t next_offset() const noexcept { return next_offset_; }
  // Where the source should read from: next_offset(), or nullopt for wherever its records begin
  // (nothing committed yet, and none read).
  std::optional<std::int64_t> read_from() const noexcept {
    if (claim_.from_the_start() && next_offset_ == 0) return std::nullopt;
    return next_offset_;
  }
  std::size_t open_files() const noexcept { return open_.size(); }
  // The partition's end offset as last seen: sets its lag metric.
  void note_end_offset(std::int64_t end) { lag_.set(std::max<std::int64_t>(0, end - next_offset_)); }

  // Opens the record's file if needed (intent first, then the upload), appends, and closes the
  // file when it is full.
  base::status append(const routed_record& r);
  // Consumes a record that is written nowhere (a dropped bot event, a repeat): the commit may
  // pass it.
  base::status skip(std::int64_t offset);
  // Whether an event with this id is a repeat of one this writer met within sink.dedup_window
  // events; if not, the id is remembered. The window lives and dies with the writer: a partition
  // read again from its committed offset (after a restart, a revocation, a fence) starts with an
  // empty one, so no event is ever dropped as the repeat of one that did not reach a commit.
  bool repeats(const base::uuid& event_id) { return recent_.repeat(event_id); }
  // Starts loading what repeats(event_id) will read (recent_ids::prefetch).
  void prefetch_repeat_check(const base::uuid& event_id) const noexcept { recent_.prefetch(event_id); }

  // Closes files open longer than max_age (all of them when `everything`).
  base::status close_due(base::steady::time_point now, bool everything);
  // Closes the file opened first (when the sink holds too many open files).
  base::status close_oldest();
  std::optional<base::steady::time_point> oldest_open() const;
  // Bytes the open files hold in memory, all of them and the most one file holds; and closing
  // that file (when the sink holds too many bytes).
  std::int64_t buffered_bytes() const;
  std::int64_t fullest_buffer() const;
  base::status close_fullest();

  // The offset that may be committed now, when it is past the last commit.
  std::optional<std::int64_t> commit_point() const;
  // Commits `offset`: the intent drops the files it covers and records it, in one
  // compare-and-swap. Then — not before — the source may be told (mirrored_to).
  base::status commit(std::int64_t offset);

  // Iceberg: what the table records for this partition, as this writer knows it (nullopt: none).
  std::optional<std::int64_t> table_offset() const noexcept { return table_offset_; }
  // The complete data files a table commit up to `offset` adds: those that start below it.
  std::vector<closed_file> table_files_below(std::int64_t offset) const;
  // The table now holds the partition's events below `offset`: those files are committed.
  void table_committed(std::int64_t offset);
  // A table commit up to `offset` may have happened without this writer hearing of it (its
  // answer was lost): the files below `offset` may be the table's, so release() leaves them.
  // If the commit did not happen they are orphans, which `clicktrail iceberg cleanup` removes.
  void table_commit_unknown(std::int64_t offset) {
    table_maybe_below_ = std::max(table_maybe_below_, offset);
  }

  // On revocation, while the partition is still ours: aborts the open uploads and takes them off
  // the intent, so the next owner has only the complete files to retire. Best effort: what it
  // cannot do, the next owner's recovery does.
  void release();

 private:
  base::status check_order(std::int64_t offset) const;  // refuses an offset that went back
  struct open_file {
    std::string key;
    std::int64_t start = 0;
    std::int64_t last = 0;
    bool in_table = false;             // an Iceberg data file
    std::int32_t table_partition = 0;  // and its partition value
    base::steady::time_point opened;
    std::unique_ptr<store::upload> upload;
    std::unique_ptr<format::file_writer> writer;
  };
  using file_id = std::pair<table, std::string>;  // (table, time partition)

  base::result<open_file*> open_for(const routed_record& r);
  open_file* remember(file_id id, open_file& f) {
    last_id_ = std::move(id);
    last_file_ = &f;
    return &f;
  }
  base::status close(std::map<file_id, open_file>::iterator it);
  base::status write_intent();
  // The files the intent lists: the open ones and `closed`, but not the table's.
  std::vector<std::string> intent_keys(const std::vector<closed_file>& closed) const;
  static std::int64_t buffered(const open_file& f) {
    return f.writer->buffered_bytes() + f.upload->buffered_bytes();
  }

  std::int32_t partition_;
  partition_claim claim_;
  std::int64_t committed_;
  std::int64_t mirrored_;
  bool source_has_offset_;
  std::optional<std::int64_t> first_read_;    // the offset of the first record appended or skipped
  std::optional<std::int64_t> table_offset_;  // Iceberg: events below it are in the table already
  std::int64_t next_offset_;
  std::string source_name_;
  const sink_options& options_;
  store::object_store& store_;
  probe& probe_;
  base::gauge& lag_;  // this partition's, found once rather than at every commit
  std::map<file_id, open_file> open_;
  // The file the last record went to, and its id. Records come in runs of one table and hour, so
  // most find their file here, without a copy of their hour's text (a heap allocation) and string
  // compares down the map. Forgotten by close() and release(), which erase files.
  open_file* last_file_ = nullptr;
  file_id last_id_;
  std::vector<closed_file> uncommitted_;
  std::int64_t table_maybe_below_ = 0;  // table_commit_unknown
  recent_ids recent_;
};

}  // namespace clicktrail::sink
