#pragma once
// Events back out of a Parquet file, for compaction, which rewrites a table's files: each column
// is matched by name to the schema's field, and each row becomes an event. It reads clicktrail's
// own files, older versions' (which lack the columns added since: those stay null), and other
// writers' files of the same columns.
//
// A column this version does not know is an error rather than dropped: rewriting the file
// without it would lose data. Timestamps in micro- or nanoseconds come back as the milliseconds
// the event carries (what is below a millisecond is cut).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "event/event.h"
#include "event/fields.h"
#include "format/parquet/file_reader.h"

namespace clicktrail::format::parquet {

class event_reader {
 public:
  // `bytes` is the whole file; `name` names it in errors.
  static base::result<event_reader> open(std::string bytes, std::string name);

  std::int64_t rows() const noexcept { return file_.info().num_rows; }

  // Calls `each` with every row, in the file's order; stops at the first error, of `each` or of
  // the file (a value the schema's field cannot hold names the column and the row).
  base::status for_each(const std::function<base::status(const event::event&)>& each) const;

 private:
  struct column_map {
    const event::field* field = nullptr;
    std::int64_t time_divisor = 1;  // to milliseconds
  };

  event_reader(file_reader file, std::string name) : file_(std::move(file)), name_(std::move(name)) {}

  file_reader file_;
  std::string name_;
  std::vector<column_map> columns_;  // one per column of the file
};

}  // namespace clicktrail::format::parquet
