#include "base/posix_io.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace clicktrail::base::posix {
namespace {

// The fix to suggest for errors that need someone to act.
const char* advice(int err) {
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return "free space (or quota) on that filesystem, or point sink.output at another directory";
    case EACCES:
    case EPERM:
      return "give the user clicktrail runs as write access there, or point sink.output elsewhere";
    case EROFS:
      return "the filesystem is mounted read-only: remount it read-write or point sink.output elsewhere";
    case ENAMETOOLONG:
      return "the path is longer than the filesystem allows: use a shorter sink.output or layout";
    case ENOTDIR:
    case EEXIST:
    case EISDIR:
      return "a file stands where a directory is needed (or the reverse): move it away";
    case EIO:
      return "the device reported an I/O error; it will be retried, check the kernel log (dmesg) if it "
             "persists";
    default:
      return nullptr;
  }
}

bool transient(int err) {
  switch (err) {
    case EIO:
    case EAGAIN:
    case EINTR:
    case EBUSY:
    case EMFILE:
    case ENFILE:
    case ESTALE:
    case ETIMEDOUT:
      return true;
    default:
      return false;
  }
}

}  // namespace

base::error os_error(std::string_view action, std::string_view path, int err) {
  const char* text = strerrordesc_np(err);
  const char* name = strerrorname_np(err);
  const char* fix = advice(err);
  if (fix == nullptr) fix = transient(err) ? "it will be retried" : "check that path and its filesystem";
  std::string message = fmt::format("local store: cannot {} {}: {} ({}); {}", action, path,
                                    text ? text : "unknown error", name ? name : "?", fix);
  return transient(err) ? base::error::retry(std::move(message)) : base::error::fail(std::move(message));
}

base::status make_dirs(const std::string& dir, std::vector<std::string>& created) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return base::ok_v;
    return os_error("create directory", dir, ENOTDIR);
  }
  if (errno != ENOENT) return os_error("inspect directory", dir, errno);
  const std::string parent = parent_of(dir);
  if (parent != dir && parent != "." && parent != "/") {
    if (auto s = make_dirs(parent, created); !s) return s;
  }
  if (::mkdir(dir.c_str(), 0755) != 0) {
    if (errno == EEXIST) return base::ok_v;  // another thread made it meanwhile
    return os_error("create directory", dir, errno);
  }
  created.push_back(dir);
  return base::ok_v;
}

base::status write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error("write", path, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return base::ok_v;
}

base::status sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return os_error("open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return os_error("fsync directory", dir, err);
  return base::ok_v;
}

std::string parent_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace clicktrail::base::posix
