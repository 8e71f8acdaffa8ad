#pragma once
// Where an Iceberg table's versions are kept, and how the next one is won (docs/iceberg.md,
// "Commits"): the table's own store without a catalog (store_catalog.h), or an Iceberg REST
// catalog (rest_catalog.h). iceberg_table builds each version's metadata; a catalog only loads
// the current one and makes a new one current if no other writer's came first.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "table/table_metadata.h"

namespace clicktrail::table {

struct table_version {
  table_metadata metadata;
  std::string uri;  // absolute URI of its metadata file
  // What orders versions: N of v<N>.metadata.json (from 1), or of a catalog's
  // <N>-<uuid>.metadata.json (Iceberg's catalogs count from 0).
  std::int64_t number = 0;
};

class catalog {
 public:
  virtual ~catalog() = default;

  // The current version; nullopt when there is no table yet.
  virtual base::result<std::optional<table_version>> load() = 0;
  // Makes `next` the version after `current` (nullptr: the table's first), unless another
  // writer's version came first or the table had to be made: then nullopt, and the caller loads
  // again and builds on what is there. A catalog keeps of `next` what changed since `current`:
  // new snapshots, schemas and properties, and the snapshots it no longer has.
  virtual base::result<std::optional<table_version>> commit(const table_version* current,
                                                            const table_metadata& next) = 0;
  // Keys in the table's store that the catalog keeps besides the versions' metadata files (the
  // version hint), so that cleanup leaves them.
  virtual std::vector<std::string> own_keys() const { return {}; }
  // For messages: the table's location, or the catalog's name for it.
  virtual std::string describe() const = 0;
};

}  // namespace clicktrail::table
