#include "wal/offset_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <charconv>

#include "base/posix_io.h"

namespace clicktrail::wal {

namespace posix = base::posix;

base::result<std::optional<std::int64_t>> offset_file::load() const {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::int64_t>();
    return posix::os_error("open", path_, errno);
  }
  char buffer[64];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  const int err = errno;
  ::close(fd);
  if (n < 0) return posix::os_error("read", path_, err);
  std::int64_t v = -1;
  const auto [end, ec] = std::from_chars(buffer, buffer + n, v);
  if (ec != std::errc() || v < 0 || end == buffer || (end != buffer + n && *end != '\n')) {
    return base::error::fail(fmt::format("{} does not hold an offset; it should be one number, e.g. 1234. Delete it to "
                                         "read the embedded log from its start again (and rewrite what is there)",
                                         path_));
  }
  return std::optional<std::int64_t>(v);
}

base::status offset_file::store(std::int64_t offset) const {
  const std::string temp = path_ + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return posix::os_error("create", temp, errno);
  const std::string text = fmt::format("{}\n", offset);
  base::status s = posix::write_all(fd, text, temp);
  if (s && ::fsync(fd) != 0) s = posix::os_error("fsync", temp, errno);
  ::close(fd);
  if (!s) return s;
  if (::rename(temp.c_str(), path_.c_str()) != 0) return posix::os_error("rename", path_, errno);
  return posix::sync_dir(posix::parent_of(path_));
}

}  // namespace clicktrail::wal
