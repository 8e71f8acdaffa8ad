#pragma once
// An object store in a local directory: keys are paths under the root.
//
// An object appears whole or not at all: an upload writes to a hidden temporary file beside its
// final name (".<name>.tmp-<pid>-<random>"), and commit() fsyncs it, moves it to the final name
// without replacing anything there (renameat2 RENAME_NOREPLACE, or link where the filesystem has
// no such rename) and fsyncs the directory (and the parents of directories it created), so that
// after a crash the object is there whole or not at all. Temporary files of crashed runs are
// never listed; they are harmless and may be deleted. retire() deletes them: a publish is a
// rename of that file, so once it is gone no earlier upload of the key can publish. Removals are
// made durable (the directory is fsynced) before they return.
//
// put_if() is a compare-and-swap under an advisory lock (flock) on a hidden lock file beside the
// object, held only while it reads, compares and renames; the version it compares is a digest of
// the object's bytes. Lock files (".<name>.lock") stay, and are never listed, like temporary files.
//
// Thread-safety: any number of threads may use the store at once; an upload belongs to one thread
// at a time. After any error an upload is aborted (its temporary file removed) and further calls
// on it return that same error; its outcome says whether starting the upload again may succeed.

#include <memory>
#include <string>

#include "base/metrics.h"
#include "store/object_store.h"
#include "store/probe.h"

namespace clicktrail::store {

class local_store final : public object_store {
 public:
  // Creates `root` and its parents when missing; fails naming the directory and the OS error.
  static base::result<std::unique_ptr<local_store>> open(std::string root, base::registry& metrics);

  base::result<std::unique_ptr<upload>> begin_upload(std::string key) override;
  base::status put(std::string_view key, std::string_view bytes) override;
  base::result<std::optional<std::string>> put_if(std::string_view key, std::string_view bytes,
                                                  const std::optional<std::string>& expected) override;
  base::result<std::optional<stored_object>> read(std::string_view key) override;
  base::result<std::optional<object_info>> head(std::string_view key) override;
  base::result<std::vector<object_info>> list(std::string_view prefix) override;
  base::status remove(std::string_view key) override;
  base::status remove_unfinished(std::string_view key) override;
  base::status retire(std::string_view key, std::string_view empty) override;
  std::string describe() const override { return root_; }

 private:
  local_store(std::string root, base::registry& metrics);
  std::string path_of(std::string_view key) const { return root_ + "/" + std::string(key); }
  // put() without the metrics: temporary file, fsync, rename over the key, fsync of the directory.
  base::status replace(std::string_view key, std::string_view bytes);

  std::string root_;  // absolute or as given, without a trailing '/'
  store_probe probe_;
};

}  // namespace clicktrail::store
