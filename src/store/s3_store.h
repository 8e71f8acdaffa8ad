#pragma once
// An object store in an S3 bucket (AWS, or an S3-compatible server such as versitygw), under a
// key prefix: object "k" is s3://bucket/prefix/k.
//
// Uploads below the part size go as one PUT at commit(); larger ones become a multipart upload
// whose parts are sent as they fill, so an upload holds at most one part in memory (s3_upload.h).
// Every request is signed with SigV4 over its real payload hash, which S3 checks: a body
// corrupted on the way is refused, and retried.
//
// Thread-safety: any number of threads may use the store at once; an upload belongs to one thread
// at a time. Calls block their thread for the requests they make, retries and backoff included
// (bounded by retry_policy: attempts and a deadline).

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "store/object_store.h"
#include "store/probe.h"
#include "store/s3_client.h"

namespace clicktrail::store {

struct s3_store_options {
  s3_client_options client;
  std::string prefix;  // no leading or trailing '/'; may be empty
  std::size_t part_size = std::size_t{8} << 20;
};

class s3_store final : public object_store {
 public:
  static constexpr std::size_t min_part_size = std::size_t{5} << 20;  // S3's minimum but for the last

  // Fails (with the fix) on a part size under 5 MiB or a malformed endpoint. Makes no request:
  // wrong credentials or a missing bucket show on the first operation.
  static base::result<std::unique_ptr<s3_store>> create(s3_store_options options,
                                                        std::unique_ptr<credential_chain> credentials,
                                                        std::shared_ptr<http_client> http,
                                                        base::registry& metrics);

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
  std::string describe() const override;
  std::optional<std::string> failing() const override { return client_->failing(); }

  // Multipart uploads begun under `prefix` and neither completed nor aborted (a crashed run
  // leaves them; their parts are billed until aborted or a lifecycle rule removes them).
  struct pending_upload {
    std::string key;  // relative to the store's root
    std::string upload_id;
  };
  base::result<std::vector<pending_upload>> pending_uploads(std::string_view prefix);
  base::status abort_pending(const pending_upload& u);

 private:
  s3_store(s3_store_options options, base::registry& metrics);
  base::result<std::string> full_key(std::string_view key) const;
  std::string relative_key(std::string_view full) const;
  // After a 403 to GET or HEAD of `full`: nullopt when listing shows the key is not there (the
  // 403 stood for 404), else the access error to report.
  std::optional<base::error> denied_unless_missing(const std::string& full, std::string_view op);

  s3_store_options options_;
  store_probe probe_;  // before client_, which keeps a reference to it
  std::unique_ptr<s3_client> client_;
};

}  // namespace clicktrail::store
