#pragma once
// An Iceberg table whose versions an Iceberg REST catalog keeps (the specification's REST
// Catalog API; docs/iceberg.md, "A REST catalog"). The table's files are written to its store
// as without a catalog; the catalog holds which metadata file is current, writes the next one
// from the changes a commit sends, and refuses (409) a commit whose requirements no longer hold:
// the table is not the one read (assert-table-uuid), or its main branch has moved since
// (assert-ref-snapshot-id). That is what makes two writers' commits never both win.
//
// What this client sends: GET /v1/config (the path prefix), GET and POST
// /v1/{prefix}/namespaces/{ns}/tables/{table}, and, when the table is missing, POST
// /v1/{prefix}/namespaces (the namespace) and POST …/tables (the table, at the sink's location).

#include <memory>
#include <string>

#include "store/http_client.h"
#include "table/catalog.h"

namespace clicktrail::table {

struct rest_options {
  std::string uri;        // the catalog's base address, before /v1: http://host:8181
  std::string warehouse;  // sent to /v1/config when not empty
  std::string ns, table;  // one namespace level and a table name
  std::string token;      // an OAuth2 bearer token; empty: no Authorization header
  std::string location;   // where a table this writer creates goes (the sink's output)
};

// The body of the commit that makes `next` the version after `was`: its requirements (the table
// and its main branch as read; its schema too when `next` adds one) and its updates (what `next`
// has that `was` had not, and the snapshots it dropped).
std::string commit_request(const table_metadata& was, const table_metadata& next);

class rest_catalog final : public catalog {
 public:
  // With its own HTTP client, trusting the system's CAs; makes no request.
  static std::unique_ptr<rest_catalog> open(rest_options options);
  rest_catalog(rest_options options, std::shared_ptr<store::http_client> http);

  base::result<std::optional<table_version>> load() override;
  base::result<std::optional<table_version>> commit(const table_version* current,
                                                    const table_metadata& next) override;
  std::string describe() const override;

 private:
  struct answer {
    long status = 0;
    std::string type;  // the error's "type": CommitFailedException, NoSuchTableException, …
    std::string message;
    std::string body;
  };
  base::result<answer> call(const char* method, const std::string& path, const std::string& body = {});
  base::status configure();
  std::string namespace_path() const;
  std::string table_path() const;
  // A LoadTableResult or CommitTableResponse: {"metadata-location": …, "metadata": {…}}.
  base::result<table_version> version_of(const answer& a) const;
  base::result<std::optional<table_version>> create(const table_metadata& next);
  base::error refused(const answer& a, std::string_view what) const;

  rest_options options_;
  std::shared_ptr<store::http_client> http_;
  bool configured_ = false;
  std::string prefix_;  // from /v1/config's overrides; "" when the catalog has none
};

}  // namespace clicktrail::table
