#pragma once
// AWS Signature Version 4 for requests signed in the Authorization header, as S3 checks it:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
//
// The caller gives the path exactly as it goes on the wire (already encoded by uri_encode; S3
// wants each key byte encoded once and no path normalisation), the query as raw name/value
// pairs, and every header to sign (host and x-amz-date at least; x-amz-content-sha256 and
// x-amz-security-token for S3). Pure functions; thread-safe.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/text.h"
#include "store/credentials.h"

namespace clicktrail::store::sigv4 {

using name_value = std::pair<std::string, std::string>;

struct request {
  std::string_view method;
  std::string_view canonical_uri;   // encoded path, e.g. "/bucket/a%20b/c"
  std::vector<name_value> query;    // raw, in any order; encoded and sorted when signing
  std::vector<name_value> headers;  // names in any case; repeated names are joined with ','
  std::string_view payload_sha256;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

struct signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // hex
  std::string authorization;   // the Authorization header's value
};

// `at` must be the instant written in the request's x-amz-date header.
signature sign(const request& r, const credentials& c, std::string_view region, std::string_view service,
               std::chrono::system_clock::time_point at);

// RFC 3986 percent-encoding, as SigV4 defines it (base/text.h).
using base::uri_encode;

// Names and values encoded, sorted by name then value, joined as n=v&n=v ("n=" when empty).
// Also the query string to send, so that what is signed is what is sent.
std::string canonical_query(const std::vector<name_value>& query);

// "20150830T123600Z" and "20150830", in UTC.
std::string amz_date(std::chrono::system_clock::time_point at);
std::string amz_day(std::chrono::system_clock::time_point at);

}  // namespace clicktrail::store::sigv4
