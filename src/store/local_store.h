#pragma once
// An object store in a local directory: keys are paths under the root.
//
// An object appears whole or not at all: an upload writes to a hidden temporary file beside its
// final name (".<name>.tmp-<pid>-<random>"), and commit() fsyncs it, renames it over the final name
// and fsyncs the directory (and the parents of directories it created), so that after a crash
// either the old object or the new one is there, never a torn one. Temporary files of crashed
// runs are never listed; they are harmless and may be deleted.
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
  base::result<std::optional<std::string>> get(std::string_view key) override;
  base::result<std::optional<object_info>> head(std::string_view key) override;
  base::result<std::vector<object_info>> list(std::string_view prefix) override;
  base::status remove(std::string_view key) override;
  base::status remove_unfinished(std::string_view key) override;
  std::string describe() const override { return root_; }

  // True for the names of upload temporary files, which list() skips.
  static bool is_temporary_name(std::string_view file_name);

 private:
  local_store(std::string root, base::registry& metrics);
  std::string path_of(std::string_view key) const { return root_ + "/" + std::string(key); }

  std::string root_;  // absolute or as given, without a trailing '/'
  store_probe probe_;
};

}  // namespace clicktrail::store
