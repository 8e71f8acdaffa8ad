#include "store/s3_errors.h"

#include <fmt/format.h>

#include "store/xml.h"

namespace clicktrail::store {
namespace {

std::string_view advice(long status, std::string_view code) {
  if (code == "SignatureDoesNotMatch") {
    return "the secret key does not match the access key id: check AWS_SECRET_ACCESS_KEY (or the profile's "
           "aws_secret_access_key), and that the endpoint is the server the keys belong to";
  }
  if (code == "InvalidAccessKeyId")
    return "the server does not know this access key id: check AWS_ACCESS_KEY_ID";
  if (code == "AccessDenied") {
    return "the credentials lack permission: allow s3:PutObject, s3:GetObject, s3:DeleteObject, "
           "s3:ListBucket and "
           "s3:AbortMultipartUpload on the bucket and prefix";
  }
  if (code == "NoSuchBucket") return "the bucket does not exist: create it, or fix the bucket in sink.output";
  if (code == "AuthorizationHeaderMalformed" || code == "PermanentRedirect" || status == 301) {
    return "the bucket is in another region: set [s3] region to the bucket's region";
  }
  if (code == "RequestTimeTooSkewed")
    return "this machine's clock is off by more than 15 minutes: sync it (NTP)";
  if (code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired") {
    return "the session token is expired or invalid even after a refresh: renew the temporary credentials";
  }
  if (code == "InvalidBucketName") return "fix the bucket name in sink.output";
  if (code == "EntityTooLarge" || code == "EntityTooSmall")
    return "a part or object size is out of S3's limits";
  if (code == "NoSuchUpload")
    return "the multipart upload was aborted or completed meanwhile: upload the object again";
  if (status >= 500 || status == 429)
    return "the server is unavailable or throttling; it will be retried later";
  return "check [s3] and sink.output against the server";
}

}  // namespace

s3_error parse_s3_error(const http_response& r) {
  s3_error e;
  if (auto code = xml::text(r.body, "Code")) e.code = std::move(*code);
  if (auto message = xml::text(r.body, "Message")) e.message = std::move(*message);
  if (auto id = xml::text(r.body, "RequestId")) e.request_id = std::move(*id);
  if (e.request_id.empty()) e.request_id = r.header("x-amz-request-id");
  return e;
}

s3_verdict classify(long status, std::string_view code) {
  if (code == "ExpiredToken" || code == "TokenRefreshRequired") return s3_verdict::refresh_credentials;
  if (status >= 500 || status == 429 || status == 408) return s3_verdict::retry;
  // 400s that are the network's fault or a moment's: a body cut or corrupted on the way, a
  // connection the server found idle too long.
  if (code == "RequestTimeout" || code == "SlowDown" || code == "XAmzContentSHA256Mismatch" ||
      code == "BadDigest" || code == "IncompleteBody" || code == "InternalError" ||
      code == "ServiceUnavailable") {
    return s3_verdict::retry;
  }
  // 409s of conditional writes: another conditional request on the same key was in flight.
  if (code == "ConditionalRequestConflict" || code == "OperationAborted") return s3_verdict::retry;
  return s3_verdict::fail;
}

base::error s3_failure(std::string_view op, std::string_view object, const http_response& r,
                       const s3_error& e) {
  std::string message =
      fmt::format("S3 {} of {}: HTTP {}{}{}{}; {}", op, object, r.status, e.code.empty() ? "" : " " + e.code,
                  e.message.empty() ? "" : " (" + e.message + ")",
                  e.request_id.empty() ? "" : " request-id " + e.request_id, advice(r.status, e.code));
  return classify(r.status, e.code) == s3_verdict::fail ? base::error::fail(std::move(message))
                                                        : base::error::retry(std::move(message));
}

}  // namespace clicktrail::store
