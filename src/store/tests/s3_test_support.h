#pragma once
// What the S3 tests share: the real S3 server from `./dev services start` (S3_ENDPOINT,
// S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION), stores built on it, fresh
// key prefixes, and the process's peak memory.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "store/credential_sources.h"
#include "store/s3_store.h"

namespace clicktrail::store::test {

struct s3_service {
  std::string endpoint, bucket, access_key_id, secret_access_key, region;
  bool present() const { return !endpoint.empty() && !bucket.empty() && !access_key_id.empty(); }
};

inline s3_service s3_from_environment() {
  auto var = [](const char* name) {
    const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before threads
    return std::string(v ? v : "");
  };
  return {var("S3_ENDPOINT"), var("S3_BUCKET"), var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"),
          var("AWS_REGION").empty() ? "us-east-1" : var("AWS_REGION")};
}

// GTEST_SKIP returns from the function it is written in, hence a macro.
#define REQUIRE_S3()                                                                              \
  if (!::clicktrail::store::test::s3_from_environment().present())                                \
  GTEST_SKIP() << "S3_ENDPOINT, S3_BUCKET and AWS_* are not set: run `./dev services start` and " \
                  "`eval \"$(./dev services env)\"` (./dev test does both)"

// A prefix no other test (or earlier run) uses.
inline std::string fresh_prefix() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return fmt::format("store-test/{}.{}/{}", info->test_suite_name(), info->name(),
                     std::chrono::system_clock::now().time_since_epoch().count());
}

// Quick retries, so that fault tests take milliseconds.
inline retry_policy fast_retries(int attempts = 8) {
  retry_policy p;
  p.max_attempts = attempts;
  p.base = std::chrono::milliseconds(2);
  p.max_wait = std::chrono::milliseconds(20);
  p.deadline = std::chrono::milliseconds(20000);
  return p;
}

struct store_setup {
  std::string prefix = fresh_prefix();
  std::string endpoint{};                           // default: S3_ENDPOINT
  std::string secret{};                             // default: AWS_SECRET_ACCESS_KEY
  std::string bucket{};                             // default: S3_BUCKET
  std::unique_ptr<credential_chain> credentials{};  // default: the environment's keys
  retry_policy retry = fast_retries();
  std::size_t part_size = s3_store::min_part_size;
  bool path_style = true;
};

inline std::unique_ptr<s3_store> open_test_store(base::registry& metrics, store_setup setup = {}) {
  const s3_service s3 = s3_from_environment();
  s3_store_options o;
  o.client.bucket = setup.bucket.empty() ? s3.bucket : setup.bucket;
  o.client.region = s3.region;
  o.client.endpoint = setup.endpoint.empty() ? s3.endpoint : setup.endpoint;
  o.client.path_style = setup.path_style;
  o.client.retry = setup.retry;
  o.prefix = setup.prefix;
  o.part_size = setup.part_size;
  auto chain = std::move(setup.credentials);
  if (!chain) {
    std::vector<std::unique_ptr<credential_source>> sources;
    sources.push_back(static_source(credentials{s3.access_key_id,
                                                setup.secret.empty() ? s3.secret_access_key : setup.secret,
                                                "", std::nullopt, "test"}));
    chain = std::make_unique<credential_chain>(std::move(sources));
  }
  auto store = s3_store::create(std::move(o), std::move(chain), std::make_shared<http_client>(), metrics);
  if (!store) throw std::runtime_error(store.err().message);
  return std::move(*store);
}

// The peak resident set size (VmHWM), in bytes; reset_peak_memory() starts a new peak where the
// kernel allows it (writing 5 to /proc/self/clear_refs).
inline std::int64_t peak_memory() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return std::stoll(line.substr(6)) * 1024;
  }
  return -1;
}
inline std::int64_t current_memory() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) return std::stoll(line.substr(6)) * 1024;
  }
  return -1;
}
inline bool reset_peak_memory() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return clear.good();
}

// A counter of one metric from the registry's text, 0 when absent.
inline std::uint64_t metric(const base::registry& r, const std::string& series) {
  const std::string text = r.expose();
  const size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::stoull(text.substr(at + series.size() + 2));
}

}  // namespace clicktrail::store::test
