#pragma once
// An Iceberg v2 table in an object store (docs/iceberg.md): its data files, manifests and
// manifest lists are written here; its versions are kept by a catalog (catalog.h): the store
// itself (metadata/v<N>.metadata.json) or an Iceberg REST catalog. Of two writers racing for the
// next version exactly one wins; the other reads the new version and tries again on top of it,
// so no commit is lost.
//
// Keys are relative to the store's root, which is the table's root; `location` is the same
// place as an absolute URI (s3://bucket/prefix or file:///dir), which the metadata records and
// readers resolve. Not thread-safe: one writer object per thread.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/object_store.h"
#include "table/catalog.h"
#include "table/manifests.h"
#include "table/table_metadata.h"

namespace clicktrail::table {

// What keeps a table that is committed to every minute for months small to read and write.
//
// These are the defaults; a table's own properties of Iceberg's names override them, as any other
// engine writing the table would read them (docs/iceberg.md).
struct table_upkeep {
  // Past this many manifests in a list, the small ones are merged into one (Iceberg's
  // commit.manifest.min-count-to-merge and target-size-bytes); never with merge = false
  // (commit.manifest-merge.enabled).
  bool merge = true;
  std::size_t merge_at = 100;
  std::int64_t small_manifest_bytes = std::int64_t{8} << 20;
  // Snapshots older than this leave the metadata, all but the newest `keep_snapshots` (Iceberg's
  // history.expire.max-snapshot-age-ms and min-snapshots-to-keep). An append-only table's data
  // files stay in the current snapshot; what expires is only the history to travel back to.
  std::int64_t max_snapshot_age_ms = std::int64_t{5} * 24 * 3600 * 1000;
  std::size_t keep_snapshots = 1;
};

// `defaults` with what the table's properties set of it; an error that names a property whose
// value is not one (a number, or true/false), and the table's metadata file `where`.
base::result<table_upkeep> upkeep_of(const std::map<std::string, std::string>& properties,
                                     const table_upkeep& defaults, std::string_view where);

// What one commit does to the table's data files.
struct table_change {
  std::vector<data_file> added;
  std::vector<data_file> removed;  // by path; their partitions tell which manifests to rewrite
};

// The absolute URI of a store's root, as a table's location: s3://bucket/prefix, file:///dir.
std::string location_of(const store::object_store& store);

class iceberg_table {
 public:
  // Without `versions`, the table keeps its versions in `store` (store_catalog).
  iceberg_table(store::object_store& store, std::string location, partitioning p, table_upkeep upkeep = {},
                std::unique_ptr<catalog> versions = nullptr);

  // Reads the newest version.
  base::status refresh();
  // nullptr until the first commit (or a refresh that found one).
  const table_metadata* current() const { return current_ ? &current_->metadata : nullptr; }
  // The current version's number (table_version::number); 0 without a table.
  std::int64_t version() const { return current_ ? current_->number : 0; }
  // The absolute URI of the current version's metadata file (what Glue points at); "" without one.
  std::string metadata_uri() const { return current_ ? current_->uri : std::string(); }

  // Called with the version a commit is about to build on, at every attempt: what the commit adds
  // to the snapshot's summary on top of it (the sink's offsets, docs/iceberg.md), or
  // outcome::conflict when the commit must not happen on top of it.
  using summary_fn =
      std::function<base::result<std::map<std::string, std::string>>(const table_metadata* current)>;

  // One snapshot that adds `change.added` (already in the store, under data/) and takes
  // `change.removed` out: an "append" when it removes nothing, a "replace" (compaction) when it
  // does. Every removed file must be in the current snapshot when the commit happens, or the
  // commit is refused with outcome::conflict (another compaction replaced it first). `summary`,
  // and what `on_top` adds, go into the snapshot's summary; the sink's Kafka offsets are carried
  // over from the snapshot it builds on unless they are given. Retries on lost races, reading the
  // newer version each time.
  base::result<snapshot> commit(const table_change& change, const std::map<std::string, std::string>& summary,
                                const summary_fn& on_top = {});
  base::result<snapshot> append(const std::vector<data_file>& files,
                                const std::map<std::string, std::string>& summary,
                                const summary_fn& on_top = {}) {
    return commit({.added = files, .removed = {}}, summary, on_top);
  }

  // The data files of the current snapshot, each with the sequence number of the commit that
  // added it (what orders copies of one event: the earlier commit's is the original).
  base::result<std::vector<manifest_entry>> live_files();

  const std::string& location() const { return location_; }
  // The absolute URI of a key in the table's store.
  std::string uri_of(std::string_view key) const;
  // The key of a URI under the table's location; an error for one elsewhere.
  base::result<std::string> key_of(std::string_view uri) const;

  // Every key the current version references, for cleanup: its metadata file and those in its
  // metadata log, the version hint, and each snapshot's manifest list, manifests and data files.
  // A referenced object that is missing is an error: the table is damaged, and nothing should be
  // cleaned up until someone looks.
  base::result<std::set<std::string>> referenced_keys();

 private:
  // When this version's columns add only optional columns, with new ids, to the table's current
  // schema (an older clicktrail made it; enrichment adds columns): the id for the schema that adds
  // them. Anything else — a column this version lacks, a changed one — refuses the commit.
  base::result<std::int32_t> evolution(const table_metadata& current) const;
  base::result<bool> try_commit(const table_change& change, const std::map<std::string, std::string>& summary,
                                const summary_fn& on_top, snapshot& made);
  // The current snapshot's manifests, for the next one to carry over: without those that hold no
  // live file (only the entries an earlier snapshot deleted).
  base::result<std::vector<manifest_file>> carried_manifests(const table_metadata& m);
  // Rewrites each of `manifests` that lists a file of `removed`, with those entries marked
  // deleted by snapshot `snapshot_id`; `written` gets each new manifest's key. Every removed file
  // must be found live, or it is outcome::conflict.
  base::status remove_files(std::vector<manifest_file>& manifests, const std::vector<data_file>& removed,
                            const partitioning& p, std::int32_t schema, std::int64_t snapshot_id,
                            std::int64_t sequence, const std::string& tag, std::vector<std::string>& written);
  base::result<std::string> read_key(std::string_view key);
  // The entries of a manifest the current snapshot lists (manifest_changes.cc).
  base::result<std::vector<manifest_entry>> entries_of(const manifest_file& m);

  // Replaces the small manifests of `manifests` (all but the first, this commit's own) with one
  // that carries their entries as existing files; `written` gets its key.
  base::status merge_small(std::vector<manifest_file>& manifests, const partitioning& p, std::int32_t schema,
                           std::int64_t snapshot_id, std::int64_t sequence, const std::string& tag,
                           std::int64_t small_bytes, std::vector<std::string>& written);

  store::object_store& store_;
  std::string location_;
  partitioning partition_;
  table_upkeep upkeep_;
  std::unique_ptr<catalog> versions_;
  bool versions_in_store_ = false;  // versions_ is the store's own (store_catalog)
  std::optional<table_version> current_;
};

}  // namespace clicktrail::table
