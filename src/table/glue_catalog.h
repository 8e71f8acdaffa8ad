#pragma once
// An AWS Glue Data Catalog table kept pointing at an Iceberg table's current metadata file, so
// that Athena (which finds Iceberg tables only through Glue) reads what the table's last commit
// made (docs/iceberg.md, "Athena").
//
// The table's commit point stays the metadata file written with If-None-Match; Glue is a pointer
// to it, moved after each commit. It only moves forward: a pointer already at this version or a
// later one is left alone, and the update names the Glue table's VersionId, so a writer that read
// an older pointer loses to one that moved it since and reads again. A failure to publish loses
// nothing: the next commit publishes its own, later version.

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/credentials.h"
#include "store/http_client.h"

namespace clicktrail::table {

struct glue_options {
  std::string region;    // the catalog's region (s3.region)
  std::string endpoint;  // "" for https://glue.<region>.amazonaws.com
  std::string database, table;
};

class glue_catalog {
 public:
  // Reads the process environment for the credential chain (as the S3 store does); makes no
  // request.
  static std::unique_ptr<glue_catalog> open(glue_options options);
  glue_catalog(glue_options options, std::unique_ptr<store::credential_chain> credentials,
               std::shared_ptr<store::http_client> http);

  // Points the Glue table at `metadata_uri`, version `version` of the Iceberg table at `location`
  // (creating the Glue table, with the events' columns, if there is none), unless it points at
  // this version or a later one already.
  base::status publish(std::string_view location, std::int64_t version, std::string_view metadata_uri);

  // "database.table", for messages.
  std::string name() const { return options_.database + "." + options_.table; }

 private:
  struct answer {
    long status = 0;
    std::string type;  // Glue's __type without its namespace: EntityNotFoundException, …
    std::string body;
  };
  base::result<answer> call(std::string_view action, const std::string& body);
  base::result<bool> try_publish(std::string_view location, std::int64_t version,
                                 std::string_view metadata_uri);

  glue_options options_;
  std::unique_ptr<store::credential_chain> credentials_;
  std::shared_ptr<store::http_client> http_;
};

}  // namespace clicktrail::table
