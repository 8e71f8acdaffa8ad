#pragma once
// A table without a catalog (docs/iceberg.md): its versions are metadata/v<N>.metadata.json in
// the table's own store, and a commit is writing v<N+1> only where none is yet (put_if with no
// expected version: S3's If-None-Match: *, a directory's link()). Of two writers racing for the
// same N exactly one wins. metadata/version-hint.text names the newest, for readers that do not
// list (pyiceberg, Spark's Hadoop tables).

#include <string>

#include "store/object_store.h"
#include "table/catalog.h"

namespace clicktrail::table {

class store_catalog final : public catalog {
 public:
  // `location` is the store's root as an absolute URI (location_of).
  store_catalog(store::object_store& store, std::string location);

  base::result<std::optional<table_version>> load() override;
  base::result<std::optional<table_version>> commit(const table_version* current,
                                                    const table_metadata& next) override;
  std::vector<std::string> own_keys() const override;
  std::string describe() const override { return location_; }

 private:
  store::object_store& store_;
  std::string location_;
};

}  // namespace clicktrail::table
