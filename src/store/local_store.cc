// local_store: files under a root directory, made visible by rename.
#include "store/local_store.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>  // renameat2
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "base/clock.h"
#include "base/posix_io.h"
#include "store/crypto.h"

namespace clicktrail::store {
namespace posix = base::posix;
namespace {

namespace fs = std::filesystem;

constexpr std::string_view temp_marker = ".tmp-";
constexpr std::string_view lock_suffix = ".lock";

// The store's own files beside the objects, never listed: upload temporary files
// (".<name>.tmp-…") and put_if's lock files (".<name>.lock").
bool is_own_file(std::string_view file_name) {
  return file_name.starts_with('.') &&
         (file_name.find(temp_marker) != std::string_view::npos || file_name.ends_with(lock_suffix));
}

// Keys come from the sink, not from users: a bad one is a bug, reported as such.
base::status check_key(std::string_view key) {
  auto bad = [key](std::string_view why) {
    return base::error::fail(fmt::format(
        "local store: key \"{}\" is not a valid object key: {}; this is a bug in the caller", key, why));
  };
  if (key.empty()) return bad("it is empty");
  if (key.front() == '/' || key.back() == '/') return bad("it starts or ends with '/'");
  if (key.find('\0') != std::string_view::npos) return bad("it contains a NUL byte");
  size_t start = 0;
  while (start <= key.size()) {
    const size_t end = std::min(key.find('/', start), key.size());
    const std::string_view segment = key.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..")
      return bad("it has an empty, '.' or '..' segment");
    if (end == key.size() && is_own_file(segment)) {
      return bad("its last segment looks like the store's own temporary or lock file");
    }
    start = end + 1;
  }
  return base::ok_v;
}

std::string random_suffix() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}", rng());
}

double seconds_since(base::steady::time_point start) {
  return std::chrono::duration<double>(base::steady::now() - start).count();
}

// Moves `from` to `to` unless something is at `to` already: the publish that never overwrites.
// An object already there, or a temporary file that is gone (retired by the key's new owner),
// is a conflict.
base::status move_without_replacing(const std::string& from, const std::string& to) {
  auto refused = [&](int err) -> base::status {
    if (err == EEXIST) {
      return base::error::conflict(
          fmt::format("local store: {} exists already, and not from this upload: another writer took the key "
                      "(its partition "
                      "has a new owner); nothing was overwritten",
                      to));
    }
    if (err == ENOENT) {
      return base::error::conflict(
          fmt::format("local store: the upload of {} was retired by another writer (its partition has a new "
                      "owner); nothing "
                      "was published",
                      to));
    }
    return posix::os_error("move into place", to, err);
  };
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return base::ok_v;
  if (errno != EINVAL && errno != ENOSYS) return refused(errno);
  // A filesystem without RENAME_NOREPLACE (NFS, some FUSE): link() fails on an existing name too.
  if (::link(from.c_str(), to.c_str()) != 0) return refused(errno);
  if (::unlink(from.c_str()) != 0 && errno != ENOENT) return posix::os_error("remove", from, errno);
  return base::ok_v;
}

// An advisory lock on a hidden file beside an object, held while it lives. The file stays: one
// that is unlinked while a waiter holds it open would let two writers hold "the" lock.
class key_lock {
 public:
  static base::result<key_lock> take(const std::string& object_path) {
    const std::string dir = posix::parent_of(object_path);
    const std::string path = fmt::format("{}/.{}{}", dir, object_path.substr(dir.size() + 1), lock_suffix);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return posix::os_error("create the lock file", path, errno);
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return posix::os_error("lock", path, err);
    }
    return key_lock(fd);
  }
  key_lock(key_lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  key_lock(const key_lock&) = delete;
  key_lock& operator=(const key_lock&) = delete;
  key_lock& operator=(key_lock&&) = delete;
  ~key_lock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  explicit key_lock(int fd) : fd_(fd) {}
  int fd_;
};

class local_upload final : public upload {
 public:
  local_upload(std::string final_path, std::string temp_path, int fd, std::vector<std::string> created,
               store_probe& probe)
      : final_path_(std::move(final_path)),
        temp_path_(std::move(temp_path)),
        fd_(fd),
        created_(std::move(created)),
        probe_(probe) {}
  local_upload(const local_upload&) = delete;
  local_upload& operator=(const local_upload&) = delete;
  ~local_upload() override { abort(); }

  base::status write(std::string_view bytes) override {
    if (fd_ < 0) return finished_error();
    if (auto s = posix::write_all(fd_, bytes, temp_path_); !s) return failed(std::move(s).err());
    written_ += static_cast<std::int64_t>(bytes.size());
    return base::ok_v;
  }

  base::status commit() override {
    if (fd_ < 0) return finished_error();
    const auto start = base::steady::now();
    base::status s = publish();
    probe_.latency(op::put, seconds_since(start));
    probe_.finished(op::put, s);
    if (!s) return failed(std::move(s).err());
    probe_.uploaded(static_cast<std::size_t>(written_));
    return base::ok_v;
  }

  void abort() override {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    if (!temp_path_.empty()) {
      ::unlink(temp_path_.c_str());  // best effort: a leftover is invisible and harmless
      temp_path_.clear();
    }
  }

  std::int64_t bytes_written() const override { return written_; }
  std::int64_t buffered_bytes() const override { return 0; }  // every write goes to the file

 private:
  base::status failed(base::error e) {
    abort();
    failure_ = e;
    return e;
  }

  base::status finished_error() const {
    if (failure_) return *failure_;  // the same outcome again: the caller's plan should not change
    return base::error::fail(fmt::format(
        "local store: the upload of {} was already committed or aborted; start a new upload", final_path_));
  }

  // fsync the data, move it into place, then fsync every directory whose entries changed.
  base::status publish() {
    if (::fsync(fd_) != 0) return posix::os_error("fsync", temp_path_, errno);
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return posix::os_error("close", temp_path_, errno);
    if (auto s = move_without_replacing(temp_path_, final_path_); !s) return s;
    temp_path_.clear();
    if (auto s = posix::sync_dir(posix::parent_of(final_path_)); !s) return s;
    for (const auto& dir : created_) {
      if (auto s = posix::sync_dir(posix::parent_of(dir)); !s) return s;
    }
    return base::ok_v;
  }

  std::string final_path_;
  std::string temp_path_;  // empty once renamed or removed
  int fd_;                 // -1 once committed or aborted
  std::vector<std::string> created_;
  store_probe& probe_;
  std::int64_t written_ = 0;
  std::optional<base::error> failure_;  // what ended the upload, repeated by later calls
};

}  // namespace

local_store::local_store(std::string root, base::registry& metrics)
    : root_(std::move(root)), probe_(metrics, "local") {}

base::result<std::unique_ptr<local_store>> local_store::open(std::string root, base::registry& metrics) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root.empty()) return base::error::fail("local store: the output directory is empty; set sink.output");
  std::vector<std::string> created;
  if (auto s = posix::make_dirs(root, created); !s) return std::move(s).err();
  return std::unique_ptr<local_store>(new local_store(std::move(root), metrics));
}

base::result<std::unique_ptr<upload>> local_store::begin_upload(std::string key) {
  if (auto s = check_key(key); !s) return std::move(s).err();
  const std::string final_path = path_of(key);
  const std::string dir = posix::parent_of(final_path);
  std::vector<std::string> created;
  if (auto s = posix::make_dirs(dir, created); !s) return std::move(s).err();
  const std::string name = final_path.substr(dir.size() + 1);
  std::string temp;
  int fd = -1;
  // O_EXCL: never share a temporary file. A name can repeat only if the generator's state was
  // copied (a fork), and then the next draw differs.
  for (int attempt = 0; fd < 0 && attempt < 4; ++attempt) {
    temp = fmt::format("{}/.{}{}{}-{}", dir, name, temp_marker, ::getpid(), random_suffix());
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return posix::os_error("create", temp, errno);
  return std::unique_ptr<upload>(
      std::make_unique<local_upload>(final_path, std::move(temp), fd, std::move(created), probe_));
}

base::status local_store::put(std::string_view key, std::string_view bytes) {
  const auto start = base::steady::now();
  base::status s = replace(key, bytes);
  probe_.latency(op::put, seconds_since(start));
  probe_.finished(op::put, s);
  if (s) probe_.uploaded(bytes.size());
  return s;
}

base::status local_store::replace(std::string_view key, std::string_view bytes) {
  if (auto s = check_key(key); !s) return s;
  const std::string path = path_of(key);
  const std::string dir = posix::parent_of(path);
  std::vector<std::string> created;
  if (auto s = posix::make_dirs(dir, created); !s) return s;
  const std::string temp = fmt::format("{}/.{}{}{}-{}", dir, path.substr(dir.size() + 1), temp_marker,
                                       ::getpid(), random_suffix());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return posix::os_error("create", temp, errno);
  auto fail = [&](base::status s) {
    ::close(fd);
    ::unlink(temp.c_str());
    return s;
  };
  if (auto s = posix::write_all(fd, bytes, temp); !s) return fail(std::move(s));
  if (::fsync(fd) != 0) return fail(posix::os_error("fsync", temp, errno));
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return posix::os_error("close", temp, err);
  }
  // Replaces what is there, atomically.
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return posix::os_error("rename into place", path, err);
  }
  if (auto s = posix::sync_dir(dir); !s) return s;
  for (const auto& d : created) {
    if (auto s = posix::sync_dir(posix::parent_of(d)); !s) return s;
  }
  return base::ok_v;
}

base::result<std::optional<std::string>> local_store::put_if(std::string_view key, std::string_view bytes,
                                                             const std::optional<std::string>& expected) {
  if (auto s = check_key(key); !s) return std::move(s).err();
  const auto start = base::steady::now();
  auto done = [&](base::result<std::optional<std::string>> r) {
    probe_.latency(op::put, seconds_since(start));
    probe_.finished(op::put, r ? nullptr : &r.err());
    return r;
  };
  std::vector<std::string> created;
  if (auto s = posix::make_dirs(posix::parent_of(path_of(key)), created); !s) return done(std::move(s).err());
  auto lock = key_lock::take(path_of(key));
  if (!lock) return done(std::move(lock).err());
  auto current = read(key);
  if (!current) return done(std::move(current).err());
  const std::optional<std::string> now = *current ? std::optional((*current)->version) : std::nullopt;
  if (now != expected) {
    // Our own bytes count as done, as for S3 (a caller that retries after an error).
    if (*current && (*current)->bytes == bytes) return done(std::optional<std::string>((*current)->version));
    return done(std::optional<std::string>());
  }
  if (auto s = replace(key, bytes); !s) return done(std::move(s).err());
  probe_.uploaded(bytes.size());
  return done(std::optional<std::string>(sha256_hex(bytes)));
}

base::result<std::optional<stored_object>> local_store::read(std::string_view key) {
  if (auto s = check_key(key); !s) return std::move(s).err();
  const auto start = base::steady::now();
  const std::string path = path_of(key);
  auto done = [&](base::result<std::optional<stored_object>> r) {
    probe_.latency(op::get, seconds_since(start));
    probe_.finished(op::get, r ? nullptr : &r.err());
    return r;
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return done(std::optional<stored_object>());
    return done(posix::os_error("open", path, errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const int err = errno;
    ::close(fd);
    if (S_ISDIR(st.st_mode)) return done(std::optional<stored_object>());  // a "directory" is no object
    return done(posix::os_error("stat", path, err));
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;  // shorter than fstat said: changed under us
      ::close(fd);
      return done(posix::os_error("read", path, err));
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  std::string version = sha256_hex(bytes);
  return done(std::optional<stored_object>(stored_object{std::move(bytes), std::move(version)}));
}

base::result<std::optional<object_info>> local_store::head(std::string_view key) {
  if (auto s = check_key(key); !s) return std::move(s).err();
  const std::string path = path_of(key);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<object_info>();
    return posix::os_error("stat", path, errno);
  }
  if (!S_ISREG(st.st_mode)) return std::optional<object_info>();
  return std::optional<object_info>(object_info{std::string(key), static_cast<std::int64_t>(st.st_size)});
}

base::result<std::vector<object_info>> local_store::list(std::string_view prefix) {
  const auto start = base::steady::now();
  std::vector<object_info> out;
  // Walk only below the deepest directory the prefix names ("events/year=2024/mo" → events/).
  const size_t slash = prefix.find_last_of('/');
  const std::string base_dir = slash == std::string_view::npos ? root_ : path_of(prefix.substr(0, slash));
  std::error_code walk;
  fs::recursive_directory_iterator it(base_dir, walk);
  if (walk) {
    if (walk == std::errc::no_such_file_or_directory || walk == std::errc::not_a_directory) return out;
    return posix::os_error("list", base_dir, walk.value());
  }
  for (const fs::recursive_directory_iterator end; it != end; it.increment(walk)) {
    if (walk) break;
    const fs::directory_entry& entry = *it;
    std::error_code ec;  // an entry removed while we walk is simply not listed
    if (!entry.is_regular_file(ec) || entry.is_symlink(ec)) continue;
    if (is_own_file(entry.path().filename().native())) continue;
    std::string key = entry.path().native().substr(root_.size() + 1);
    if (!key.starts_with(prefix)) continue;
    const auto size = entry.file_size(ec);
    if (ec) continue;
    struct stat st {};
    const std::int64_t modified_ms =
        ::stat(entry.path().c_str(), &st) == 0
            ? std::int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000
            : 0;
    out.push_back(object_info{std::move(key), static_cast<std::int64_t>(size), modified_ms});
  }
  if (walk) return posix::os_error("list", base_dir, walk.value());
  std::sort(out.begin(), out.end(), [](const object_info& a, const object_info& b) { return a.key < b.key; });
  probe_.latency(op::list, seconds_since(start));
  probe_.finished(op::list, nullptr);
  return out;
}

base::status local_store::remove(std::string_view key) {
  if (auto s = check_key(key); !s) return s;
  const std::string path = path_of(key);
  base::status s = base::ok_v;
  if (::unlink(path.c_str()) == 0) {
    // Durable before it returns: a removal the power takes back would bring the object back.
    s = posix::sync_dir(posix::parent_of(path));
  } else if (errno != ENOENT && errno != ENOTDIR) {
    s = posix::os_error("remove", path, errno);
  }
  // Empty directories are left: removing them would race with an upload creating a file there.
  probe_.finished(op::remove, s);
  return s;
}

base::status local_store::remove_unfinished(std::string_view key) {
  if (auto s = check_key(key); !s) return s;
  const std::string final_path = path_of(key);
  const std::string dir = posix::parent_of(final_path);
  const std::string temp_start = "." + final_path.substr(dir.size() + 1) + std::string(temp_marker);
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) return base::ok_v;
    return posix::os_error("list", dir, ec.value());
  }
  bool removed = false;
  for (const fs::directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return posix::os_error("list", dir, ec.value());
    const std::string name = it->path().filename().native();
    if (!name.starts_with(temp_start)) continue;
    if (::unlink(it->path().c_str()) != 0 && errno != ENOENT)
      return posix::os_error("remove", it->path().native(), errno);
    removed = true;
  }
  return removed ? posix::sync_dir(dir) : base::ok_v;
}

base::status local_store::retire(std::string_view key, std::string_view /*empty*/) {
  // The temporary files first: each publish is a rename of one, so none can publish after this.
  // Then whatever one published before. Nothing is left under the key: a directory needs no
  // placeholder (see object_store.h).
  if (auto s = remove_unfinished(key); !s) return s;
  return remove(key);
}

}  // namespace clicktrail::store
