#pragma once
// An Iceberg v2 table in an object store, without a catalog (docs/iceberg.md): its versions are
// metadata/v<N>.metadata.json, and a commit is writing v<N+1> only where none is yet (the store's
// put_if with no expected version: S3's If-None-Match: *, a directory's link()). Of two writers
// racing for the same N exactly one wins; the other reads the new version and tries again on top
// of it, so no commit is lost.
//
// Keys are relative to the store's root, which is the table's root; `location` is the same
// place as an absolute URI (s3://bucket/prefix or file:///dir), which the metadata records and
// readers resolve. Not thread-safe: one writer object per thread.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/object_store.h"
#include "table/manifests.h"
#include "table/table_metadata.h"

namespace clicktrail::table {

class iceberg_table {
 public:
  iceberg_table(store::object_store& store, std::string location, partitioning p);

  // Reads the newest version: the version hint, then any later v<N> written after it.
  base::status refresh();
  // nullptr until the first commit (or a refresh that found one).
  const table_metadata* current() const { return current_ ? &*current_ : nullptr; }
  std::int64_t version() const { return version_; }

  // Checked on the version a commit is about to build on, at every attempt: a commit that must
  // not happen on top of it (the sink's offsets, docs/iceberg.md) returns outcome::conflict.
  using precondition = std::function<base::status(const table_metadata* current)>;

  // One append snapshot of `files` (already in the store, under data/). `summary` is added to
  // the snapshot's summary. Retries on lost races, reading the newer version each time.
  base::result<snapshot> append(const std::vector<data_file>& files,
                                const std::map<std::string, std::string>& summary,
                                const precondition& check = {});

  // The absolute URI of a key in the table's store.
  std::string uri_of(std::string_view key) const;

  // Every key the current version references, for cleanup: its metadata file and those in its
  // metadata log, the version hint, and each snapshot's manifest list, manifests and data files.
  // A referenced object that is missing is an error: the table is damaged, and nothing should be
  // cleaned up until someone looks.
  base::result<std::set<std::string>> referenced_keys();

 private:
  base::result<std::optional<std::string>> key_of(std::string_view uri) const;
  base::result<bool> try_append(const std::vector<data_file>& files,
                                const std::map<std::string, std::string>& summary, const precondition& check,
                                snapshot& made);

  store::object_store& store_;
  std::string location_;
  partitioning partition_;
  std::optional<table_metadata> current_;
  std::int64_t version_ = 0;  // of current_; 0: no table yet
};

}  // namespace clicktrail::table
