#include "store/s3_client.h"

#include <fmt/format.h>

#include <random>
#include <thread>

#include "base/clock.h"
#include "base/log.h"
#include "store/crypto.h"
#include "store/s3_errors.h"

namespace clicktrail::store {
namespace {

// A bucket name that can be the first label of a TLS host name: virtual-hosted addressing works.
bool dns_compatible(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (const char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return bucket.front() != '-' && bucket.back() != '-';
}

double seconds_since(base::steady::time_point t) {
  return std::chrono::duration<double>(base::steady::now() - t).count();
}

}  // namespace

s3_client::s3_client(s3_client_options options, std::unique_ptr<credential_chain> credentials,
                     std::shared_ptr<http_client> http, store_probe& probe)
    : options_(std::move(options)),
      credentials_(std::move(credentials)),
      http_(std::move(http)),
      probe_(probe) {}

base::result<std::unique_ptr<s3_client>> s3_client::create(s3_client_options options,
                                                           std::unique_ptr<credential_chain> credentials,
                                                           std::shared_ptr<http_client> http,
                                                           store_probe& probe) {
  if (options.bucket.empty())
    return base::error::fail("S3: no bucket; set sink.output to s3://bucket/prefix");
  if (options.region.empty()) return base::error::fail("S3: no region; set [s3] region (e.g. us-east-1)");
  const std::string endpoint =
      options.endpoint.value_or(fmt::format("https://s3.{}.amazonaws.com", options.region));
  const size_t sep = endpoint.find("://");
  std::string scheme = sep == std::string::npos ? "" : endpoint.substr(0, sep);
  if (scheme != "http" && scheme != "https") {
    return base::error::fail(fmt::format(
        "S3: [s3] endpoint \"{}\" is not an http:// or https:// URL; write it like http://127.0.0.1:9000",
        endpoint));
  }
  std::string rest = endpoint.substr(sep + 3);
  const size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string base_path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!base_path.empty() && base_path.back() == '/') base_path.pop_back();
  if (authority.empty() || authority.find_first_of("?#@ ") != std::string::npos) {
    return base::error::fail(fmt::format(
        "S3: [s3] endpoint \"{}\" has no usable host; write it like https://s3.example.com", endpoint));
  }
  const bool virtual_hosted = !options.path_style && dns_compatible(options.bucket);
  std::unique_ptr<s3_client> c(
      new s3_client(std::move(options), std::move(credentials), std::move(http), probe));
  c->scheme_ = std::move(scheme);
  c->authority_ = std::move(authority);
  c->base_path_ = std::move(base_path);
  c->virtual_hosted_ = virtual_hosted;
  return c;
}

std::string s3_client::object_name(std::string_view key) const {
  return fmt::format("s3://{}/{}", options_.bucket, key);
}

void s3_client::note_attempt(const base::error* failed) {
  std::lock_guard lock(trouble_mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (!failed) {
    trouble_.reset();
  } else if (trouble_) {
    trouble_->last_error = failed->message;
    trouble_->last = now;
  } else {
    trouble_ = trouble{now, now, failed->message};
  }
}

std::optional<std::string> s3_client::failing() const {
  std::lock_guard lock(trouble_mutex_);
  // A failure long past with no request since (a quiet site) says nothing about the store now.
  constexpr std::chrono::minutes stale{1};
  if (!trouble_ || std::chrono::steady_clock::now() - trouble_->last > stale) return std::nullopt;
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - trouble_->since).count();
  return fmt::format("S3 requests have been failing for {:.0f} s: {}", seconds, trouble_->last_error);
}

s3_client::target s3_client::address(const s3_request& r, const std::string& query) const {
  target t;
  t.host = virtual_hosted_ ? options_.bucket + "." + authority_ : authority_;
  t.path = base_path_;
  if (!virtual_hosted_) t.path += "/" + sigv4::uri_encode(options_.bucket, false);
  if (!r.key.empty() || virtual_hosted_) t.path += "/" + sigv4::uri_encode(r.key, true);
  t.url = fmt::format("{}://{}{}{}{}", scheme_, t.host, t.path, query.empty() ? "" : "?", query);
  return t;
}

base::result<http_response> s3_client::attempt(const s3_request& r, const credentials& c,
                                               const std::string& payload_hash) {
  const std::string query = sigv4::canonical_query(r.query);
  const target t = address(r, query);
  const auto now = std::chrono::system_clock::now();
  std::vector<sigv4::name_value> headers = r.headers;
  headers.emplace_back("Host", t.host);
  headers.emplace_back("x-amz-date", sigv4::amz_date(now));
  headers.emplace_back("x-amz-content-sha256", payload_hash);
  if (!c.session_token.empty()) headers.emplace_back("x-amz-security-token", c.session_token);
  const sigv4::signature s = sigv4::sign(sigv4::request{r.method, t.path, r.query, headers, payload_hash}, c,
                                         options_.region, "s3", now);
  headers.emplace_back("Authorization", s.authorization);
  http_request request(r.method, t.url);
  request.headers = std::move(headers);
  request.body = r.body;
  request.connect_timeout = options_.connect_timeout;
  request.stall_timeout = options_.stall_timeout;
  return http_->send(request);
}

base::result<http_response> s3_client::send(const s3_request& r) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::string_view op_name = to_string(r.what);
  const std::string object = object_name(r.key);
  const auto started = base::steady::now();
  const std::string payload_hash = sha256_hex(r.body);
  auto finish = [&](base::error e) {
    probe_.finished(r.what, &e);
    if (!e.conflicting()) note_attempt(&e);
    return e;
  };
  auto answered = [&]() {
    probe_.finished(r.what, nullptr);
    note_attempt(nullptr);
  };

  base::error last;
  int n = 1;
  for (;; ++n) {
    auto c = credentials_->get();
    if (!c) {
      return finish(
          base::error{c.err().what, fmt::format("S3 {} of {}: {}", op_name, object, c.err().message)});
    }
    const auto sent = base::steady::now();
    auto response = attempt(r, *c, payload_hash);
    probe_.latency(r.what, seconds_since(sent));
    if (!response) {
      last = base::error{response.err().what,
                         fmt::format("S3 {} of {}: {}", op_name, object, response.err().message)};
      if (!last.retriable()) return finish(std::move(last));
    } else if (response->status >= 200 && response->status < 300 &&
               !(r.error_in_body && response->body.find("<Error>") != std::string::npos)) {
      answered();
      return response;
    } else {
      const s3_error e = parse_s3_error(*response);
      if (r.precondition_ok && response->status == 412) {
        answered();
        return response;
      }
      if (r.missing_ok && response->status == 404 && e.code != "NoSuchBucket") {
        answered();
        return response;
      }
      // A HEAD answer has no body, hence no code.
      if (r.missing_ok && r.denied_may_be_missing && response->status == 403 &&
          (e.code == "AccessDenied" || (e.code.empty() && r.method == "HEAD"))) {
        answered();
        return response;
      }
      const s3_verdict verdict = classify(response->status, e.code);
      last = s3_failure(op_name, object, *response, e);
      if (verdict == s3_verdict::fail) return finish(std::move(last));
      if (verdict == s3_verdict::refresh_credentials) credentials_->invalidate();
    }
    note_attempt(&last);
    if (n >= options_.retry.max_attempts) break;
    const auto wait = options_.retry.backoff(n + 1, rng);
    if (base::steady::now() + wait - started > options_.retry.deadline) break;
    probe_.retried(r.what);
    base::logger_for("store").warn(
        "S3 request failed; retrying op={} object={} attempt={} wait_ms={} error={}", op_name, object, n,
        wait.count(), last.message);
    std::this_thread::sleep_for(wait);
  }
  return finish(base::error::retry(
      fmt::format("{} (gave up after {} attempts in {:.1f} s; the caller may try again later)", last.message,
                  n, seconds_since(started))));
}

}  // namespace clicktrail::store
