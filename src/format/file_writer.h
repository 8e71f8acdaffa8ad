#pragma once
// One output file being encoded: events go in, encoded bytes come out through `write_fn` as they
// are produced (the sink hands them to an object-store upload), so a file never has to sit whole
// in memory.
//
// Lifetime: one writer per file, used by one thread; finish() once, then discard.

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "base/result.h"
#include "config/config.h"
#include "event/event.h"

namespace clicktrail::format {

// Receives encoded bytes in order. An error stops the writer; the sink then aborts the file.
using write_fn = std::function<base::status(std::string_view bytes)>;

class file_writer {
 public:
  virtual ~file_writer() = default;
  // `canonical` is event::encode(e): formats that store JSON use it as it is.
  virtual base::status append(const event::event& e, std::string_view canonical) = 0;
  // Flushes what is buffered and writes the format's trailer.
  virtual base::status finish() = 0;
  // Encoded bytes so far, including what is still buffered (what rotation by size compares).
  virtual std::int64_t encoded_bytes() const = 0;
  virtual std::int64_t records() const = 0;
  // Encoded bytes held in memory, not yet handed to `write_fn`.
  virtual std::int64_t buffered_bytes() const = 0;
};

// The one place where output formats are chosen (STYLE.md rule 5).
std::unique_ptr<file_writer> make_writer(config::output_format format, config::compression codec, write_fn out);

// The file name extension of a format and codec: "jsonl.gz", "jsonl", "parquet".
const char* file_extension(config::output_format format, config::compression codec);

}  // namespace clicktrail::format
