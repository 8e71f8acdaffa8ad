#pragma once
// Which offset of a Kafka partition the sink may commit — the heart of its exactly-once promise.
//
// After a crash, recovery deletes every file listed in the partition's intent object whose start
// offset is at or above the committed offset, and consumption resumes at the committed offset.
// So a commit `c` is safe only when
//   (1) every record below c is in a file already complete in the store, and
//   (2) no complete file that starts below c (and so is kept) holds a record at or above c
//       (it would be written a second time by the replay).
// DESIGN.md's rule, "the smallest start offset of the files still open", gives (1) but not (2):
// with two time partitions interleaved in one Kafka partition, a file can close holding records
// above the start of a file that is still open. The rule here lowers the candidate to the start
// of any such file, which is then replayed whole rather than in part.

#include <cstdint>
#include <string>
#include <vector>

#include "format/file_writer.h"

namespace clicktrail::sink {

struct closed_file {
  std::string key;
  std::int64_t start = 0;  // offset of its first record
  std::int64_t end = 0;    // offset of its last record
  // An Iceberg table's data file (sink.table = "iceberg"): committed by the table, not the intent.
  bool in_table = false;
  std::int64_t records = 0, bytes = 0;
  std::int32_t table_partition = 0;               // its partition value (hours or days since 1970)
  std::vector<format::column_summary> columns{};  // what its manifest entry says of each column
};

// `open_starts`: start offsets of the files still open; `uncommitted`: complete files not yet
// covered by a commit; `next_offset`: one past the last record appended.
std::int64_t safe_commit_offset(const std::vector<std::int64_t>& open_starts,
                                const std::vector<closed_file>& uncommitted, std::int64_t next_offset);

}  // namespace clicktrail::sink
