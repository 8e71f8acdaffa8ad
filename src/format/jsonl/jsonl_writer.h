#pragma once
// JSON Lines: one canonical event per line, gzip-compressed (or not), streamed out in chunks.

#include <memory>

#include "format/file_writer.h"

namespace clicktrail::format {

// `gzip_level`: libdeflate's, 1 to 12 (effective_level gives the default).
std::unique_ptr<file_writer> make_jsonl_writer(bool gzip, write_fn out, int gzip_level = 6);

}  // namespace clicktrail::format
