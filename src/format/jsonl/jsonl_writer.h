#pragma once
// JSON Lines: one canonical event per line, gzip-compressed (or not), streamed out in chunks.

#include <memory>

#include "format/file_writer.h"

namespace clicktrail::format {

// `gzip_level`: 1 to 12 (format/gzip.h); by default gzip's default (effective_level).
std::unique_ptr<file_writer> make_jsonl_writer(bool gzip, write_fn out,
                                               int gzip_level = effective_level(config::compression::gzip,
                                                                                0));

}  // namespace clicktrail::format
