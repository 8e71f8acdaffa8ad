// posix_files(): the embedded log's file layer on the real system calls.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <system_error>

#include "base/posix_io.h"
#include "wal/file_system.h"

namespace clicktrail::wal {
namespace {

namespace posix = base::posix;

class posix_file final : public file {
 public:
  posix_file(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~posix_file() override { ::close(fd_); }
  posix_file(const posix_file&) = delete;
  posix_file& operator=(const posix_file&) = delete;

  base::status append(std::string_view bytes) override { return posix::write_all(fd_, bytes, path_); }

  base::result<std::string> read_at(std::int64_t at, std::size_t n) override {
    std::string out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
      const ssize_t r =
          ::pread(fd_, out.data() + got, n - got, static_cast<off_t>(at) + static_cast<off_t>(got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return posix::os_error("read", path_, errno);
      }
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return out;
  }

  base::result<std::int64_t> size() override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return posix::os_error("stat", path_, errno);
    return static_cast<std::int64_t>(st.st_size);
  }

  base::status sync() override {
    if (::fdatasync(fd_) != 0) return posix::os_error("fsync", path_, errno);
    return {};
  }

  base::status truncate(std::int64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return posix::os_error("truncate", path_, errno);
    return {};
  }

 private:
  const int fd_;
  const std::string path_;
};

int flags_for(open_mode mode) {
  switch (mode) {
    case open_mode::read:
    case open_mode::read_if_exists:
      return O_RDONLY;
    case open_mode::append:
      return O_WRONLY | O_APPEND;
    case open_mode::create:
      return O_WRONLY | O_APPEND | O_CREAT | O_EXCL;
    case open_mode::replace:
      return O_WRONLY | O_APPEND | O_CREAT | O_TRUNC;
  }
  return O_RDONLY;
}

class posix_file_system final : public file_system {
 public:
  base::result<std::unique_ptr<file>> open(const std::string& path, open_mode mode) override {
    const int fd = ::open(path.c_str(), flags_for(mode) | O_CLOEXEC, 0644);
    if (fd < 0) {
      if (errno == ENOENT && mode == open_mode::read_if_exists) return std::unique_ptr<file>();
      return posix::os_error(mode == open_mode::create || mode == open_mode::replace ? "create" : "open",
                             path, errno);
    }
    return std::unique_ptr<file>(std::make_unique<posix_file>(fd, path));
  }

  base::result<std::vector<std::string>> list(const std::string& dir) override {
    std::vector<std::string> names;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      names.push_back(it->path().filename().native());
    }
    if (ec) return posix::os_error("list", dir, ec.value());
    return names;
  }

  base::status rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return posix::os_error("rename", from + " to " + to, errno);
    return {};
  }

  base::status remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return posix::os_error("remove", path, errno);
    return {};
  }

  base::status sync_dir(const std::string& dir) override { return posix::sync_dir(dir); }

  base::status make_dirs(const std::string& dir) override {
    std::vector<std::string> created;
    if (auto s = posix::make_dirs(dir, created); !s) return s;
    for (const auto& d : created) {
      if (auto s = posix::sync_dir(posix::parent_of(d)); !s) return s;
    }
    return {};
  }

  base::result<std::filesystem::file_time_type> modified(const std::string& path) override {
    std::error_code ec;
    const auto t = std::filesystem::last_write_time(path, ec);
    if (ec) return posix::os_error("stat", path, ec.value());
    return t;
  }
};

}  // namespace

file_system& posix_files() {
  static posix_file_system files;
  return files;
}

}  // namespace clicktrail::wal
