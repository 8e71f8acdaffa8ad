#include "wal/testing/crash_file_system.h"

#include <fmt/format.h>

#include <fstream>
#include <iterator>

namespace clicktrail::wal {
namespace {

namespace fs = std::filesystem;

base::error power_is_off_error(std::string_view call, const std::string& path) {
  return base::error::fail(fmt::format("crash_file_system: the power is off; cannot {} {}", call, path));
}

std::string key_of(const fs::path& dir) {
  std::string key = dir.lexically_normal().string();
  while (key.size() > 1 && key.back() == '/') key.pop_back();
  return key.empty() ? "." : key;
}

std::string dir_part(const std::string& path) {
  return key_of(fs::path(path).parent_path());
}
std::string name_part(const std::string& path) {
  return fs::path(path).filename().string();
}

}  // namespace

// A file of the layer: its calls go to the real file, and its bytes into the model.
class crash_file final : public file {
 public:
  crash_file(crash_file_system& layer, std::unique_ptr<file> inner, int node, std::string path)
      : layer_(layer), inner_(std::move(inner)), node_(node), path_(std::move(path)) {}

  base::status append(std::string_view bytes) override {
    std::lock_guard lock(layer_.mutex_);
    if (!layer_.take_change()) return power_is_off_error("write", path_);
    auto s = inner_->append(bytes);
    if (s) layer_.nodes_[node_].current.append(bytes);
    return s;
  }

  base::result<std::string> read_at(std::int64_t at, std::size_t n) override {
    std::lock_guard lock(layer_.mutex_);
    if (!layer_.power_on()) return power_is_off_error("read", path_);
    return inner_->read_at(at, n);
  }

  base::result<std::int64_t> size() override {
    std::lock_guard lock(layer_.mutex_);
    if (!layer_.power_on()) return power_is_off_error("stat", path_);
    return inner_->size();
  }

  base::status sync() override {
    std::lock_guard lock(layer_.mutex_);
    if (!layer_.take_change()) return power_is_off_error("fsync", path_);
    auto& n = layer_.nodes_[node_];
    n.durable = n.current;
    return {};
  }

  base::status truncate(std::int64_t size) override {
    std::lock_guard lock(layer_.mutex_);
    if (!layer_.take_change()) return power_is_off_error("truncate", path_);
    auto s = inner_->truncate(size);
    if (s) layer_.nodes_[node_].current.resize(static_cast<std::size_t>(size));
    return s;
  }

 private:
  crash_file_system& layer_;
  std::unique_ptr<file> inner_;
  const int node_;
  const std::string path_;
};

void crash_file_system::cut_power_after(std::int64_t changes) {
  std::lock_guard lock(mutex_);
  cut_at_ = changes_ + changes;
}

bool crash_file_system::power_is_off() const {
  std::lock_guard lock(mutex_);
  return off_;
}

std::int64_t crash_file_system::changes() const {
  std::lock_guard lock(mutex_);
  return changes_;
}

bool crash_file_system::take_change() {
  if (off_) return false;
  if (cut_at_ && changes_ >= *cut_at_) {
    off_ = true;
    return false;
  }
  ++changes_;
  return true;
}

crash_file_system::directory& crash_file_system::directory_of(const std::string& dir) {
  const std::string key = key_of(dir);
  auto [it, added] = dirs_.try_emplace(key);
  if (!added) return it->second;
  // Whatever the disk holds when the layer first looks is durable: it survived the last restart.
  std::error_code ec;
  for (fs::directory_iterator e(key, ec), end; !ec && e != end; e.increment(ec)) {
    if (!e->is_regular_file()) continue;
    std::ifstream in(e->path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const int n = next_node_++;
    nodes_[n] = node{bytes, bytes};
    it->second.current[e->path().filename().string()] = n;
  }
  it->second.durable = it->second.current;
  return it->second;
}

int crash_file_system::bind(directory& d, const std::string& name) {
  const int n = next_node_++;
  nodes_[n] = node{};
  const change c{"", name, n};
  apply(d.current, c);
  d.unsynced.push_back(c);
  return n;
}

void crash_file_system::apply(std::map<std::string, int>& names, const change& c) {
  if (!c.from.empty()) names.erase(c.from);
  if (!c.to.empty()) names[c.to] = c.node;
}

base::result<std::unique_ptr<file>> crash_file_system::open(const std::string& path, open_mode mode) {
  std::lock_guard lock(mutex_);
  const bool creates = mode == open_mode::create || mode == open_mode::replace;
  if (creates ? !take_change() : !power_on()) return power_is_off_error("open", path);
  directory& d = directory_of(dir_part(path));
  auto inner = inner_.open(path, mode);
  if (!inner || *inner == nullptr) return inner;
  const std::string name = name_part(path);
  const auto known = d.current.find(name);
  int n = -1;
  if (mode == open_mode::create || known == d.current.end()) {
    n = bind(d, name);
  } else {
    n = known->second;
    if (mode == open_mode::replace) nodes_[n].current.clear();  // O_TRUNC, durable only once synced
  }
  return std::unique_ptr<file>(std::make_unique<crash_file>(*this, std::move(inner).value(), n, path));
}

base::result<std::vector<std::string>> crash_file_system::list(const std::string& dir) {
  std::lock_guard lock(mutex_);
  if (!power_on()) return power_is_off_error("list", dir);
  return inner_.list(dir);
}

base::status crash_file_system::rename(const std::string& from, const std::string& to) {
  std::lock_guard lock(mutex_);
  if (!take_change()) return power_is_off_error("rename", from);
  if (dir_part(from) != dir_part(to)) {
    return base::error::fail(
        fmt::format("crash_file_system: renames across directories are not modelled ({} to {})", from, to));
  }
  directory& d = directory_of(dir_part(from));
  if (auto s = inner_.rename(from, to); !s) return s;
  const auto known = d.current.find(name_part(from));
  if (known == d.current.end()) return {};
  const change c{known->first, name_part(to), known->second};
  apply(d.current, c);
  d.unsynced.push_back(c);
  return {};
}

base::status crash_file_system::remove(const std::string& path) {
  std::lock_guard lock(mutex_);
  if (!take_change()) return power_is_off_error("remove", path);
  directory& d = directory_of(dir_part(path));
  if (auto s = inner_.remove(path); !s) return s;
  if (d.current.contains(name_part(path))) {
    const change c{name_part(path), "", -1};
    apply(d.current, c);
    d.unsynced.push_back(c);
  }
  return {};
}

base::status crash_file_system::sync_dir(const std::string& dir) {
  std::lock_guard lock(mutex_);
  if (!take_change()) return power_is_off_error("fsync directory", dir);
  directory& d = directory_of(dir);
  d.durable = d.current;
  d.unsynced.clear();
  return {};
}

base::status crash_file_system::make_dirs(const std::string& dir) {
  std::lock_guard lock(mutex_);
  if (!take_change()) return power_is_off_error("create directory", dir);
  return inner_.make_dirs(dir);
}

base::result<std::filesystem::file_time_type> crash_file_system::modified(const std::string& path) {
  std::lock_guard lock(mutex_);
  if (!power_on()) return power_is_off_error("stat", path);
  return inner_.modified(path);
}

std::string crash_file_system::survivor(const node& n, crash_mode mode, std::mt19937_64& rng) const {
  std::string bytes = n.durable;
  const bool appended = n.current.size() > n.durable.size() && n.current.starts_with(n.durable);
  if (mode != crash_mode::keep_some || !appended) return bytes;
  const std::size_t unsynced = n.current.size() - n.durable.size();
  const std::size_t kept = std::uniform_int_distribution<std::size_t>(0, unsynced)(rng);
  bytes.append(n.current, n.durable.size(), kept);
  if (std::uniform_int_distribution<int>(0, 2)(rng) == 0) {
    bytes.append(std::uniform_int_distribution<std::size_t>(0, unsynced - kept)(rng), '\0');
  }
  return bytes;
}

void crash_file_system::restart(crash_mode mode, std::mt19937_64& rng) {
  std::lock_guard lock(mutex_);
  for (auto& [path, d] : dirs_) {
    std::map<std::string, int> names = d.durable;
    std::size_t kept = 0;
    if (mode == crash_mode::keep_some)
      kept = std::uniform_int_distribution<std::size_t>(0, d.unsynced.size())(rng);
    for (std::size_t i = 0; i < kept; ++i) apply(names, d.unsynced[i]);

    // Only what differs from the disk is rewritten: the tests restart often.
    std::error_code ec;
    for (const auto& [name, n] : d.current) {
      if (!names.contains(name)) fs::remove(fs::path(path) / name, ec);
    }
    for (const auto& [name, n] : names) {
      const node& survived = nodes_.at(n);
      const std::string bytes = survivor(survived, mode, rng);
      const auto now = d.current.find(name);
      if (now != d.current.end() && now->second == n && survived.current == bytes) continue;
      std::ofstream out(fs::path(path) / name, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
  }
  dirs_.clear();
  nodes_.clear();
  changes_ = 0;
  cut_at_.reset();
  off_ = false;
}

}  // namespace clicktrail::wal
