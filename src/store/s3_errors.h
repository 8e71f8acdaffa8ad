#pragma once
// What an S3 error answer means and what to do about it: retry (5xx, 429, SlowDown,
// RequestTimeout, a corrupted body), refresh the credentials (ExpiredToken), or fail with a
// message that names the object, the status, S3's error Code and the fix. Pure; thread-safe.

#include <string>
#include <string_view>

#include "base/result.h"
#include "store/http_client.h"

namespace clicktrail::store {

struct s3_error {
  std::string code;     // "SignatureDoesNotMatch"; empty when the answer had no XML (HEAD)
  std::string message;  // S3's own sentence
  std::string request_id;
};

// <Error><Code>…</Code><Message>…</Message><RequestId>…</RequestId></Error>, as far as present.
s3_error parse_s3_error(const http_response& r);

enum class s3_verdict { retry, refresh_credentials, fail };

s3_verdict classify(long status, std::string_view code);

// "S3 put of s3://bucket/key: HTTP 403 SignatureDoesNotMatch (The request signature …):
//  check AWS_SECRET_ACCESS_KEY …", with the outcome the verdict implies.
base::error s3_failure(std::string_view op, std::string_view object, const http_response& r,
                       const s3_error& e);

}  // namespace clicktrail::store
