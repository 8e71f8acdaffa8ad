#pragma once
// The file operations the embedded log and the sink's offset file are made of, behind an
// interface, so that a test can stand between them and the disk: testing/crash_file_system keeps
// what was synced and, at a simulated power cut, throws away the rest (STYLE.md rule 6: a seam
// is an interface, not a flag). posix_files() is the real one: one virtual call per system call,
// no copies beyond the ones the system calls make.
//
// Errors name the path and the OS error and say what to do (base/posix_io.h).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace clicktrail::wal {

// An open file. One user at a time (the committer thread for the segment being appended to, a
// reader for its own handle); closed when destroyed.
class file {
 public:
  virtual ~file() = default;
  // Writes every byte at the end of the file (through short writes and EINTR).
  virtual base::status append(std::string_view bytes) = 0;
  // Up to `n` bytes from byte `at`; fewer only where the file ends.
  virtual base::result<std::string> read_at(std::int64_t at, std::size_t n) = 0;
  virtual base::result<std::int64_t> size() = 0;
  // fdatasync(2): once it returns ok, the bytes written so far and the size survive a power cut.
  // The file's name does not, until its directory is synced (file_system::sync_dir).
  virtual base::status sync() = 0;
  virtual base::status truncate(std::int64_t size) = 0;
};

enum class open_mode {
  read,            // an existing file
  read_if_exists,  // the same, or nullptr when there is no such file
  append,          // an existing file, written at its end
  create,          // a new file, written at its end; an error when the name is taken
  replace,         // a new or emptied file (O_TRUNC), written at its end: a temporary file
};

// Thread-safe: the log's threads call it concurrently.
class file_system {
 public:
  virtual ~file_system() = default;
  // Never nullptr, except for open_mode::read_if_exists.
  virtual base::result<std::unique_ptr<file>> open(const std::string& path, open_mode mode) = 0;
  // The names in `dir` (files and directories, without "." and "..").
  virtual base::result<std::vector<std::string>> list(const std::string& dir) = 0;
  // rename(2): replaces `to` if it exists. Durable once the directory is synced.
  virtual base::status rename(const std::string& from, const std::string& to) = 0;
  // unlink(2); a file that is already gone is no error. Durable once the directory is synced.
  virtual base::status remove(const std::string& path) = 0;
  // fsync(2) of a directory: the names created, renamed and removed in it survive a power cut.
  virtual base::status sync_dir(const std::string& dir) = 0;
  // mkdir -p; returns once every directory it created is durable (its parent synced).
  virtual base::status make_dirs(const std::string& dir) = 0;
  virtual base::result<std::filesystem::file_time_type> modified(const std::string& path) = 0;
};

// The real files (POSIX calls). Stateless; lives for the whole process.
file_system& posix_files();

}  // namespace clicktrail::wal
