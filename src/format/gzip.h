#pragma once
// gzip members (RFC 1952) from whole buffers: the JSON Lines writer's members and Parquet's GZIP
// pages. Level 1 is Intel's ISA-L (igzip at its level 1): on bench/sink's JSON Lines, 3.4× the
// speed of libdeflate's level 1 in files 8% smaller, 8× the speed of level 6 in files 29% larger.
// Levels 2 to 12 are libdeflate's.
//
// Thread-safety: the compressors' state is one per thread and level, made when first used and
// shared by every writer on the thread: a few hundred KiB each, too much for each of 500 open
// files. So is the buffer a member is compressed into, as large as the largest member or page
// the thread compressed (about 1 MiB for JSON Lines).

#include <string>
#include <string_view>

#include "base/result.h"

namespace clicktrail::format {

// Appends `in` to `out` as one gzip member, compressed at `level` (1 to 12).
base::status append_gzip_member(std::string_view in, int level, std::string& out);

}  // namespace clicktrail::format
