#pragma once
// JSON Lines: one canonical event per line, gzip-compressed (or not), streamed out in chunks.

#include <memory>

#include "format/file_writer.h"

namespace clicktrail::format {

std::unique_ptr<file_writer> make_jsonl_writer(bool gzip, write_fn out);

}  // namespace clicktrail::format
