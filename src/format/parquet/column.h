#pragma once
// The columns of one row group while it fills: each keeps its values (and, when optional, a
// definition level per row) in memory, then encodes them as pages when the row group is written.
//
// Strings are dictionary-encoded while the dictionary stays under `dictionary_bytes` and while
// their first 4,096 values are not nine in ten distinct; plain otherwise (for the rest of the
// file: such a column holds mostly distinct values). Integers and booleans are plain.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "event/event.h"
#include "format/file_writer.h"
#include "format/parquet/metadata.h"
#include "format/parquet/page_writer.h"

namespace clicktrail::format::parquet {

struct column_limits {
  std::int64_t page_bytes = 1 << 20;        // a data page closes past this many value bytes
  std::int64_t dictionary_bytes = 1 << 20;  // past this a chunk's strings are written plain
};

class column {
 public:
  column(column_schema schema, const column_limits& limits) : limits_(limits), schema_(std::move(schema)) {}
  virtual ~column() = default;
  column(const column&) = delete;
  column& operator=(const column&) = delete;

  const column_schema& schema() const noexcept { return schema_; }
  // Bytes held for the row group so far.
  std::int64_t buffered_bytes() const { return static_cast<std::int64_t>(defs_.size()) + value_bytes(); }
  // Encodes the row group's `rows` rows as pages into `pages`, fills `meta`, and starts over
  // empty. (The row count is the writer's: every column has a row, value or null, per event.)
  base::status flush(page_writer& pages, column_chunk_meta& meta, std::int64_t rows);

 protected:
  // A row of the column has been appended: its value, or null. Forced inline, as the columns'
  // append() are: GCC left it out of line, a call of ~29 instructions per row and column.
  [[gnu::always_inline]] void count_row(bool present) {
    if (schema_.optional) defs_.push_back(present ? 1 : 0);
  }
  virtual std::int64_t value_bytes() const = 0;
  // Values (not nulls) held for the row group.
  virtual std::size_t value_count() const = 0;
  // Before the data pages: a dictionary page, if any. Returns the data pages' encoding (PLAIN
  // unless a column says otherwise).
  virtual base::result<encoding> begin_chunk(page_writer&, column_chunk_meta& meta) {
    meta.encodings = {encoding::plain, encoding::rle};
    return encoding::plain;
  }
  // Page sizing: the encoded bytes of every value when they are all alike (fixed-width and
  // dictionary-encoded values; an estimate for packed ones), else 0 and value_cost() of each.
  virtual std::int64_t fixed_value_cost() const = 0;
  virtual std::int64_t value_cost(std::size_t) const { return fixed_value_cost(); }
  virtual void encode_values(std::size_t from, std::size_t to, std::string& out) const = 0;
  // Min and max over the chunk's values, PLAIN-encoded (there is at least one value).
  virtual void set_min_max(statistics& s) const = 0;
  virtual void clear_values() = 0;

  const column_limits& limits_;

 private:
  column_schema schema_;
  std::vector<std::uint8_t> defs_;  // optional columns: 1 present, 0 null, per row
  std::string body_, levels_;       // scratch, kept between pages
};

class string_column;
template <class T>
class int_column;
class bool_column;

// A type's columns, by where their values are: members every event has, and optional ones.
template <class C>
struct columns_of {
  std::vector<std::unique_ptr<C>> always, maybe;
};

// One column per schema-v1 field. They are kept by type and by where their values are, so that
// appending a row is a loop over each kind's columns with the append inlined, not a virtual call
// per field (at ~60 fields that call was a fifth of the writer's time), nor a test per field of
// whether its member is optional (3% of the writer's instructions).
class event_columns {
 public:
  event_columns(const column_limits& limits, time_unit times);
  ~event_columns();
  event_columns(const event_columns&) = delete;
  event_columns& operator=(const event_columns&) = delete;

  void append(const event::event& e);
  // In the field table's order, the file's column order.
  const std::vector<column*>& in_order() const noexcept { return in_order_; }

 private:
  columns_of<string_column> strings_;
  columns_of<int_column<std::int64_t>> int64s_;
  columns_of<int_column<std::int32_t>> int32s_;
  columns_of<bool_column> bools_;
  std::vector<column*> in_order_;
};

}  // namespace clicktrail::format::parquet
