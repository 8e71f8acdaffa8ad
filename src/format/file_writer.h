#pragma once
// One output file being encoded: events go in, encoded bytes come out through `write_fn` as they
// are produced (the sink hands them to an object-store upload), so a file never has to sit whole
// in memory.
//
// Lifetime: one writer per file, used by one thread; finish() once, then discard.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "event/event.h"

namespace clicktrail::format {

// Receives encoded bytes in order. An error stops the writer; the sink then aborts the file.
using write_fn = std::function<base::status(std::string_view bytes)>;

// What a file is about — its source, partition and offsets — for formats that keep such labels
// (Parquet's key-value metadata).
using file_labels = std::vector<std::pair<std::string, std::string>>;

enum class time_unit : std::uint8_t { millis, micros };

struct writer_options {
  config::output_format format = config::output_format::parquet;
  config::compression codec = config::compression::zstd;
  int compression_level = 0;  // sink.compression_level; 0: the codec's default (effective_level)
  // Parquet: a row group closes at this many rows or this many bytes of events (their JSON size),
  // whichever comes first; memory holds one row group.
  std::int64_t row_group_rows = 128 * 1024;
  std::int64_t row_group_bytes = 64LL << 20;
  // Parquet: the unit of the four timestamp columns. Milliseconds, as the events carry them, for
  // Hive files; microseconds for an Iceberg table, whose timestamptz is microseconds
  // (docs/iceberg.md).
  time_unit times = time_unit::millis;
};

// One column of a finished file, for a table's manifest (Iceberg's column metrics).
struct column_summary {
  enum class kind : std::uint8_t { boolean, int32, int64, text, other };
  std::int32_t field_id = 0;  // the column's id in the table's schema
  kind type = kind::other;
  std::int64_t bytes = 0;   // its size in the file, compressed
  std::int64_t values = 0;  // rows, nulls included
  std::int64_t nulls = 0;
  // Its smallest and largest value, absent when every value is null: numbers little-endian in
  // their width (booleans one byte), text as its bytes, whole.
  std::optional<std::string> min{}, max{};
};

class file_writer {
 public:
  virtual ~file_writer() = default;
  // `canonical` is event::encode(e): formats that store JSON use it as it is.
  virtual base::status append(const event::event& e, std::string_view canonical) = 0;
  // Flushes what is buffered and writes the format's trailer, with `about` where the format
  // keeps labels.
  virtual base::status finish(const file_labels& about) = 0;
  // Encoded bytes so far, including what is still buffered (what rotation by size compares).
  virtual std::int64_t encoded_bytes() const = 0;
  virtual std::int64_t records() const = 0;
  // Encoded bytes held in memory, not yet handed to `write_fn`.
  virtual std::int64_t buffered_bytes() const = 0;
  // After finish(): each column with an id, for formats that keep statistics (Parquet).
  virtual std::vector<column_summary> column_summaries() const { return {}; }
};

// The one place where output formats are chosen (STYLE.md rule 5).
std::unique_ptr<file_writer> make_writer(const writer_options& options, write_fn out);

// The level a codec compresses at: `configured` (sink.compression_level, checked against the
// codec's range by the config), or for 0 the codec's default: gzip 6 (zlib's balance of speed and
// size) and zstd 1, Arrow's default too, where zstd's own 3 was slower and no smaller on Parquet
// pages (docs/sink.md, "Output", has what each costs).
int effective_level(config::compression codec, int configured) noexcept;

// The file name extension of a format and codec: "jsonl.gz", "jsonl", "parquet".
const char* file_extension(config::output_format format, config::compression codec);

// A file with no records, in the format an extension names ("parquet", "jsonl.gz", "jsonl"): a
// valid file that every reader reads as empty (what a retired key keeps in S3). nullopt for an
// extension that is none of these.
std::optional<std::string> empty_file(std::string_view extension);

}  // namespace clicktrail::format
