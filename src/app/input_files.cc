#include "app/input_files.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace clicktrail::app {

std::optional<std::string> read_whole_file(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "cannot read {}: {}\n", path, std::strerror(errno));
    return std::nullopt;
  }
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  if (size > max_bytes) {
    fmt::print(stderr, "{} is {} bytes, over the {} this command reads\n", path, size, max_bytes);
    return std::nullopt;
  }
  in.seekg(0);
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (!in) {
    fmt::print(stderr, "cannot read {}: {}\n", path, std::strerror(errno));
    return std::nullopt;
  }
  return bytes;
}

}  // namespace clicktrail::app
