#pragma once
// The POSIX calls the local store and the embedded log are made of, each returning a status whose message
// names the path and the OS error and says what to do. Thread-safe (no shared state).

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace clicktrail::base::posix {

// errno after `action` ("create", "write", …) on `path` → an error: ENOSPC, EDQUOT, EACCES,
// EPERM, EROFS, ENAMETOOLONG, ENOTDIR… fail (someone must act); EIO, EAGAIN, EINTR, EBUSY,
// EMFILE, ENFILE, ESTALE, ETIMEDOUT retry.
base::error os_error(std::string_view action, std::string_view path, int err);

// Creates `dir` and its missing parents (mode 0755), like mkdir -p. Appends each directory it
// created to `created`, outermost first, so that the caller can make the new entries durable.
base::status make_dirs(const std::string& dir, std::vector<std::string>& created);

// write(2) until every byte is written, through EINTR and short writes.
base::status write_all(int fd, std::string_view bytes, const std::string& path);

// fsync of a directory, so that names created or renamed in it survive a crash.
base::status sync_dir(const std::string& dir);

// The directory part of "a/b/c" ("a/b"), or "." for a bare name.
std::string parent_of(const std::string& path);

}  // namespace clicktrail::base::posix
