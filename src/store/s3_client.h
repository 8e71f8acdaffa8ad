#pragma once
// One signed S3 request at a time, retried: addressing (endpoint, region, path-style or
// virtual-hosted), SigV4 signing, the retry loop, error classification and the per-request
// metrics. s3_store and s3_upload build on it; it knows nothing of object_store.
//
// Thread-safety: send() may be called from any number of threads at once (the HTTP client pools
// its handles, the credential chain locks its cache). A retried request sleeps on the calling
// thread between attempts.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/credentials.h"
#include "store/http_client.h"
#include "store/probe.h"
#include "store/retry.h"
#include "store/sigv4.h"

namespace clicktrail::store {

struct s3_client_options {
  std::string bucket;
  std::string region = "us-east-1";
  // "http://127.0.0.1:9000" or "https://s3.example.com" for S3-compatible servers; absent:
  // AWS, https://s3.<region>.amazonaws.com.
  std::optional<std::string> endpoint;
  // Path-style (endpoint/bucket/key) rather than virtual-hosted (bucket.endpoint/key). Buckets
  // whose names cannot be a TLS host name (with dots, or upper case) always go path-style.
  bool path_style = false;
  retry_policy retry;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::seconds stall_timeout{30};
};

struct s3_request {
  s3_request(op o, std::string m, std::string k = {}) : what(o), method(std::move(m)), key(std::move(k)) {}

  op what;
  std::string method;
  std::string key;  // the whole S3 key (store prefix included); empty for the bucket itself
  std::vector<sigv4::name_value> query;
  std::vector<sigv4::name_value> headers;  // signed along with the ones the client adds
  std::string_view body;                   // not owned
  // 404 is an answer (the object or upload is not there), not an error — except NoSuchBucket.
  bool missing_ok = false;
  // With missing_ok: 403 AccessDenied is an answer too. S3 answers it instead of 404 for a key
  // that does not exist when the caller may list the bucket only under a prefix (a least-
  // privilege role's s3:prefix condition), so only the caller can tell which it is (by listing).
  bool denied_may_be_missing = false;
  // A 200 whose body is an <Error> document is an error (CompleteMultipartUpload does this).
  bool error_in_body = false;
  // 412 PreconditionFailed is an answer (an If-Match or If-None-Match that did not hold).
  bool precondition_ok = false;
};

class s3_client {
 public:
  // Fails when the endpoint is not a URL like http://host[:port][/path].
  static base::result<std::unique_ptr<s3_client>> create(s3_client_options options,
                                                         std::unique_ptr<credential_chain> credentials,
                                                         std::shared_ptr<http_client> http,
                                                         store_probe& probe);

  // A 2xx answer (or a 404 when missing_ok); otherwise the error of the last attempt, retry when
  // the attempts or the deadline ran out on transient failures, fail at once on the others.
  base::result<http_response> send(const s3_request& r);

  // "s3://bucket/key", for messages.
  std::string object_name(std::string_view key) const;
  // While requests keep failing: the last error and for how long (object_store::failing()).
  std::optional<std::string> failing() const;
  const s3_client_options& options() const { return options_; }

 private:
  s3_client(s3_client_options options, std::unique_ptr<credential_chain> credentials,
            std::shared_ptr<http_client> http, store_probe& probe);

  struct target {
    std::string url;   // scheme://host[:port]/path?query
    std::string host;  // the Host header, as signed
    std::string path;  // encoded, as signed
  };
  target address(const s3_request& r, const std::string& query) const;
  base::result<http_response> attempt(const s3_request& r, const credentials& c,
                                      const std::string& payload_hash);
  void note_attempt(const base::error* failed);

  s3_client_options options_;
  std::unique_ptr<credential_chain> credentials_;
  std::shared_ptr<http_client> http_;
  store_probe& probe_;
  std::string scheme_;     // "https"
  std::string authority_;  // "host[:port]"
  std::string base_path_;  // "" or "/path" of the endpoint
  bool virtual_hosted_ = false;

  struct trouble {
    std::chrono::steady_clock::time_point since;  // the first failure in a row
    std::chrono::steady_clock::time_point last;   // the latest
    std::string last_error;
  };
  mutable std::mutex trouble_mutex_;
  std::optional<trouble> trouble_;  // set by a failed attempt, cleared by a good one
};

}  // namespace clicktrail::store
