#pragma once
// The sink's committed offset in the embedded log: one small file, replaced atomically (temp file,
// fsync, rename, fsync of the directory), so that after a crash it holds the old offset or the
// new one, never a torn one.

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "wal/file_system.h"

namespace clicktrail::wal {

class offset_file {
 public:
  // `files` must outlive this object; tests pass a crash_file_system.
  explicit offset_file(std::string path, file_system& files = posix_files())
      : path_(std::move(path)), files_(files) {}

  // nullopt when nothing was committed yet.
  base::result<std::optional<std::int64_t>> load() const;
  base::status store(std::int64_t offset) const;
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  file_system& files_;
};

}  // namespace clicktrail::wal
