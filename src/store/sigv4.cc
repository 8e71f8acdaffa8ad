#include "store/sigv4.h"

#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <map>

#include "store/crypto.h"

namespace clicktrail::store::sigv4 {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// "Trimall": no leading or trailing spaces, and each run of spaces inside becomes one.
std::string trim_all(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool in_space = false;
  for (const char c : v) {
    if (c == ' ' || c == '\t') {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

std::tm utc(std::chrono::system_clock::time_point at) {
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

}  // namespace

std::string canonical_query(const std::vector<name_value>& query) {
  std::vector<name_value> encoded;
  encoded.reserve(query.size());
  for (const auto& [n, v] : query) encoded.emplace_back(uri_encode(n, false), uri_encode(v, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [n, v] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += n;
    out.push_back('=');
    out += v;
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point at) {
  const std::tm tm = utc(at);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string amz_day(std::chrono::system_clock::time_point at) {
  const std::tm tm = utc(at);
  return fmt::format("{:04}{:02}{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

signature sign(const request& r, const credentials& c, std::string_view region, std::string_view service,
               std::chrono::system_clock::time_point at) {
  // Lower-case names, sorted (std::map); values of a repeated name joined in the order given.
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : r.headers) {
    std::string key(name);
    std::transform(key.begin(), key.end(), key.begin(), lower);
    auto [it, fresh] = headers.try_emplace(std::move(key), trim_all(value));
    if (!fresh) {
      it->second.push_back(',');
      it->second += trim_all(value);
    }
  }
  signature s;
  std::string canonical_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers += fmt::format("{}:{}\n", name, value);
    if (!s.signed_headers.empty()) s.signed_headers.push_back(';');
    s.signed_headers += name;
  }
  s.canonical_request =
      fmt::format("{}\n{}\n{}\n{}\n{}\n{}", r.method, r.canonical_uri, canonical_query(r.query),
                  canonical_headers, s.signed_headers, r.payload_sha256);

  const std::string day = amz_day(at);
  const std::string scope = fmt::format("{}/{}/{}/aws4_request", day, region, service);
  s.string_to_sign =
      fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", amz_date(at), scope, sha256_hex(s.canonical_request));

  const sha256_digest k_date = hmac_sha256("AWS4" + c.secret_access_key, day);
  const sha256_digest k_region = hmac_sha256(as_bytes(k_date), region);
  const sha256_digest k_service = hmac_sha256(as_bytes(k_region), service);
  const sha256_digest k_signing = hmac_sha256(as_bytes(k_service), "aws4_request");
  s.signature = to_hex(hmac_sha256(as_bytes(k_signing), s.string_to_sign));
  s.authorization = fmt::format("AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}",
                                c.access_key_id, scope, s.signed_headers, s.signature);
  return s;
}

}  // namespace clicktrail::store::sigv4
