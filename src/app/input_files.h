#pragma once
// Reading the files the commands are given: whole (inspect's Parquet, avro's container files and
// JSON Lines), or line by line, gzip or plain (stored events for convert and iceberg append).

#include <zlib.h>

#include <cstddef>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace clicktrail::app {

// The bytes of the file at `path`, or nullopt with the problem printed on stderr (the path and
// the system's reason, or the size when it is over `max_bytes`).
std::optional<std::string> read_whole_file(const std::string& path,
                                           std::size_t max_bytes = std::numeric_limits<std::size_t>::max());

struct gz_closer {
  void operator()(gzFile f) const { gzclose(f); }
};
using gz_file = std::unique_ptr<gzFile_s, gz_closer>;

// Calls `line` for each line of `in` (gzip or plain: zlib reads both); `line` returning false
// stops. False when the file cannot be read (not gzip or plain text, or truncated).
template <class F>
bool for_each_line(gzFile in, F&& line) {
  std::string pending;
  char buffer[1 << 16];
  for (;;) {
    const int n = gzread(in, buffer, sizeof buffer);
    if (n < 0) return false;
    if (n == 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (!line(std::string_view(pending).substr(start, nl - start))) return true;
    }
    pending.erase(0, start);
  }
  if (!pending.empty()) line(pending);
  return true;
}

}  // namespace clicktrail::app
