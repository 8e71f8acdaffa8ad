#include "sink/commit_rule.h"

#include <algorithm>

namespace clicktrail::sink {

std::int64_t safe_commit_offset(const std::vector<std::int64_t>& open_starts,
                                const std::vector<closed_file>& uncommitted, std::int64_t next_offset) {
  std::int64_t c = next_offset;
  for (auto s : open_starts) c = std::min(c, s);
  // Each pass can only lower c, and only to some file's start: it ends within |uncommitted|
  // passes.
  for (bool lowered = true; lowered;) {
    lowered = false;
    for (const auto& f : uncommitted) {
      if (f.start < c && f.end >= c) {
        c = f.start;
        lowered = true;
      }
    }
  }
  return c;
}

}  // namespace clicktrail::sink
