#pragma once
// A file layer that knows what a power cut keeps, for tests of the embedded log and the sink's
// offset file. It passes every call through to a real layer (posix_files() over a temporary
// directory) and keeps, beside the disk, what has been made durable:
//   - a file's bytes, as of its last sync() (fdatasync);
//   - a directory's names, as of its last sync_dir(): a new file, a rename or a removal that no
//     directory sync followed is not durable, even when the file's bytes are.
//
//   crash_file_system disk(posix_files());
//   disk.cut_power_after(17);   // the 18th change from now, and every call after it, fail
//   … open the log on `disk`, append; the calls after the cut fail as if the machine had stopped
//   … destroy the log (restart() needs every file closed)
//   disk.restart(crash_mode::lose_unsynced, rng);   // the directories now hold what survived
//   … open the log again, from what survived
//
// A change is an append, sync, truncate, create, rename, removal, directory sync or mkdir. What
// survives besides what was synced is the crash_mode's choice (below). Directories made by
// make_dirs() are durable when it returns, as its contract says. sync() and sync_dir() are not
// passed to the disk: the model decides what survives, and the tests stay fast. Renames must stay
// within one directory (the log's do).
//
// Thread-safe: one mutex around the model and the calls it passes through. Linked only into
// tests: target clicktrail::wal_testing.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "wal/file_system.h"

namespace clicktrail::wal {

enum class crash_mode {
  // Nothing that was not synced survives: the strictest disk POSIX allows.
  lose_unsynced,
  // As a journalling filesystem may leave it: each file keeps a random prefix of what was
  // appended since its last sync, sometimes followed by zeros (the new size reached the disk, the
  // data did not); each directory keeps a random prefix, in order, of its changes since its last
  // sync.
  keep_some,
};

class crash_file_system final : public file_system {
 public:
  explicit crash_file_system(file_system& inner) : inner_(inner) {}

  // The `changes`-th change from now (0: the next one) fails, and so does every call after it.
  void cut_power_after(std::int64_t changes);
  bool power_is_off() const;
  std::int64_t changes() const;  // changes that took effect since the last restart

  // After a power cut (or instead of one): rewrites every directory the layer has seen to what
  // survives, forgets the files it tracked, and turns the power on. Every file must be closed.
  void restart(crash_mode mode, std::mt19937_64& rng);

  base::result<std::unique_ptr<file>> open(const std::string& path, open_mode mode) override;
  base::result<std::vector<std::string>> list(const std::string& dir) override;
  base::status rename(const std::string& from, const std::string& to) override;
  base::status remove(const std::string& path) override;
  base::status sync_dir(const std::string& dir) override;
  base::status make_dirs(const std::string& dir) override;
  base::result<std::filesystem::file_time_type> modified(const std::string& path) override;

 private:
  friend class crash_file;
  struct node {
    std::string current;  // what the disk holds now
    std::string durable;  // what it holds after a power cut
  };
  struct change {
    std::string from;  // a name that goes away (empty: none)
    std::string to;    // a name bound to `node` (empty: none)
    int node = -1;
  };
  struct directory {
    std::map<std::string, int> current, durable;  // name → node
    std::vector<change> unsynced;                 // since the last sync_dir, in order
  };

  // With the mutex held: false once the power is off; otherwise counts a change, or cuts the
  // power when this is the change it was to be cut at.
  bool take_change();
  bool power_on() const { return !off_; }
  directory& directory_of(const std::string& dir);  // loaded from the disk on first use
  int bind(directory& d, const std::string& name);  // a new node under `name`
  static void apply(std::map<std::string, int>& names, const change& c);
  std::string survivor(const node& n, crash_mode mode, std::mt19937_64& rng) const;

  file_system& inner_;
  mutable std::mutex mutex_;
  std::map<std::string, directory> dirs_;  // by path
  std::map<int, node> nodes_;
  int next_node_ = 0;
  std::int64_t changes_ = 0;
  std::optional<std::int64_t> cut_at_;
  bool off_ = false;
};

}  // namespace clicktrail::wal
