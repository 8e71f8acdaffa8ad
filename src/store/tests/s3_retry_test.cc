// Retries, through a fault proxy: a loopback HTTP server in front of the real S3 server that
// answers 500 / 503 SlowDown / 429, resets the connection, or loses an answer for chosen
// requests, and forwards the rest. The store signs for the proxy's address and the proxy passes
// requests on unchanged, so the S3 server still checks every signature.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>

#include "store/crypto.h"
#include "store/s3_store.h"
#include "store/tests/loopback_server.h"
#include "store/tests/s3_test_support.h"

namespace clicktrail::store {
namespace {

using test::loopback_server;
using test::metric;
using test::stub_request;
using test::stub_response;
using action = stub_response::action;

// Fails requests for which `fault` answers something, forwards the others; counts both.
class fault_proxy {
 public:
  using rule = std::function<std::optional<stub_response>(const stub_request&, int n)>;
  explicit fault_proxy(rule fault)
      : fault_(std::move(fault)),
        server_([this](const stub_request& r) { return handle(r); },
                test::port_of(test::s3_from_environment().endpoint)) {}

  std::string url() const { return server_.url(); }
  int seen() const { return seen_.load(); }
  int failed() const { return failed_.load(); }

 private:
  stub_response handle(const stub_request& r) {
    const int n = ++seen_;
    if (auto f = fault_(r, n)) {
      ++failed_;
      if (f->what == action::answer) f->headers.emplace_back("Connection", "close");
      return *f;
    }
    return stub_response{.what = action::forward};
  }

  rule fault_;
  std::atomic<int> seen_{0}, failed_{0};
  loopback_server server_;
};

// The first `n` requests get `answer`.
fault_proxy::rule first(int n, stub_response answer) {
  return [n, answer = std::move(answer)](const stub_request&, int i) -> std::optional<stub_response> {
    if (i <= n) return answer;
    return std::nullopt;
  };
}

std::unique_ptr<s3_store> store_behind(const fault_proxy& proxy, base::registry& metrics,
                                       retry_policy retry = test::fast_retries()) {
  return test::open_test_store(metrics, {.endpoint = proxy.url(), .retry = retry});
}

TEST(s3_retries, internal_errors_are_retried_until_the_put_succeeds) {
  REQUIRE_S3();
  fault_proxy proxy(first(3, loopback_server::s3_error(500, "InternalError")));
  base::registry metrics;
  auto store = store_behind(proxy, metrics);
  auto r = store->put("k", "value");
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(proxy.seen(), 4);
  EXPECT_EQ(metric(metrics, "clicktrail_store_retries_total{store=\"s3\",op=\"put\"}"), 3u);
  EXPECT_EQ(metric(metrics, "clicktrail_store_requests_total{store=\"s3\",op=\"put\",outcome=\"ok\"}"), 1u);
  EXPECT_EQ(*store->get("k"), "value");
}

TEST(s3_retries, slow_down_and_too_many_requests_are_retried) {
  REQUIRE_S3();
  fault_proxy proxy([](const stub_request&, int n) -> std::optional<stub_response> {
    if (n == 1) return loopback_server::s3_error(503, "SlowDown", "Please reduce your request rate.");
    if (n == 2) return loopback_server::s3_error(429, "TooManyRequests");
    if (n == 4) return loopback_server::s3_error(503, "SlowDown");
    return std::nullopt;
  });
  base::registry metrics;
  auto store = store_behind(proxy, metrics);
  ASSERT_TRUE(store->put("slow", "v"));  // requests 1, 2, 3
  EXPECT_EQ(*store->get("slow"), "v");   // requests 4, 5
  EXPECT_EQ(proxy.seen(), 5);
}

TEST(s3_retries, reset_connections_are_retried) {
  REQUIRE_S3();
  fault_proxy proxy(first(2, stub_response{.what = action::reset}));
  base::registry metrics;
  auto store = store_behind(proxy, metrics);
  auto r = store->put("reset", "v");
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(proxy.seen(), 3);
  EXPECT_EQ(metric(metrics, "clicktrail_store_retries_total{store=\"s3\",op=\"put\"}"), 2u);
}

TEST(s3_retries, gives_up_after_the_attempt_bound_with_a_retry_outcome) {
  REQUIRE_S3();
  fault_proxy proxy(
      first(1000, loopback_server::s3_error(500, "InternalError", "We encountered an internal error")));
  base::registry metrics;
  auto store = store_behind(proxy, metrics, test::fast_retries(4));
  auto r = store->put("never", "v");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().what, base::outcome::retry);
  EXPECT_EQ(proxy.seen(), 4);
  for (const char* part : {"gave up after 4 attempts", "InternalError", "HTTP 500", "/never"}) {
    EXPECT_NE(r.err().message.find(part), std::string::npos) << part << " in: " << r.err().message;
  }
  EXPECT_EQ(metric(metrics, "clicktrail_store_requests_total{store=\"s3\",op=\"put\",outcome=\"retry\"}"),
            1u);
}

TEST(s3_retries, the_deadline_bounds_the_total_time) {
  REQUIRE_S3();
  fault_proxy proxy(first(1000, loopback_server::s3_error(503, "SlowDown")));
  base::registry metrics;
  retry_policy p;
  p.max_attempts = 100;
  p.base = std::chrono::milliseconds(50);
  p.max_wait = std::chrono::milliseconds(100);
  p.deadline = std::chrono::milliseconds(400);
  auto store = store_behind(proxy, metrics, p);
  const auto start = std::chrono::steady_clock::now();
  auto r = store->get("k");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().what, base::outcome::retry);
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  EXPECT_LT(proxy.seen(), 100);
}

TEST(s3_retries, client_errors_fail_at_once) {
  REQUIRE_S3();
  fault_proxy proxy(first(1000, loopback_server::s3_error(403, "AccessDenied", "Access Denied")));
  base::registry metrics;
  auto store = store_behind(proxy, metrics);
  auto r = store->put("denied", "v");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().what, base::outcome::fail);
  EXPECT_EQ(proxy.seen(), 1);
  EXPECT_NE(r.err().message.find("allow s3:PutObject"), std::string::npos) << r.err().message;
}

TEST(s3_retries, expired_token_refreshes_the_credentials_and_retries) {
  REQUIRE_S3();
  fault_proxy proxy(
      first(1, loopback_server::s3_error(400, "ExpiredToken", "The provided token has expired.")));
  const auto s3 = test::s3_from_environment();
  struct counting_source final : credential_source {
    explicit counting_source(credentials c) : c_(std::move(c)) {}
    base::result<std::optional<credentials>> fetch() override {
      ++fetches;
      return std::optional<credentials>(c_);
    }
    std::string name() const override { return "counting"; }
    credentials c_;
    int fetches = 0;
  };
  auto source = std::make_unique<counting_source>(
      credentials{s3.access_key_id, s3.secret_access_key, "",
                  std::chrono::system_clock::now() + std::chrono::hours(1), "t"});
  counting_source* counter = source.get();
  std::vector<std::unique_ptr<credential_source>> sources;
  sources.push_back(std::move(source));
  base::registry metrics;
  auto store = test::open_test_store(
      metrics,
      {.endpoint = proxy.url(), .credentials = std::make_unique<credential_chain>(std::move(sources))});
  ASSERT_TRUE(store->put("token", "v"));
  EXPECT_EQ(counter->fetches, 2);
  EXPECT_EQ(proxy.seen(), 2);
}

TEST(s3_retries, multipart_parts_survive_faults_and_the_object_is_whole) {
  REQUIRE_S3();
  // The second part's first two tries fail: once with a 500, once with a reset.
  std::atomic<int> part_two_tries{0};
  fault_proxy proxy([&](const stub_request& r, int) -> std::optional<stub_response> {
    if (r.method == "PUT" && r.target.find("partNumber=2") != std::string::npos) {
      const int n = ++part_two_tries;
      if (n == 1) return loopback_server::s3_error(500, "InternalError");
      if (n == 2) return stub_response{.what = action::reset};
    }
    return std::nullopt;
  });
  base::registry metrics;
  auto store = store_behind(proxy, metrics);
  const std::string body = [] {
    std::string b(2 * s3_store::min_part_size + 12345, '\0');
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<char>((i * 7919) >> 3);
    return b;
  }();
  auto u = store->begin_upload("multi");
  for (std::size_t at = 0; at < body.size(); at += 100000)
    ASSERT_TRUE((*u)->write(std::string_view(body).substr(at, 100000)));
  auto c = (*u)->commit();
  ASSERT_TRUE(c) << c.err().message;
  EXPECT_EQ(part_two_tries.load(), 3);
  EXPECT_EQ(metric(metrics, "clicktrail_store_retries_total{store=\"s3\",op=\"upload_part\"}"), 2u);
  EXPECT_EQ(sha256_hex(**store->get("multi")), sha256_hex(body));
  EXPECT_TRUE(store->pending_uploads("")->empty());
}

TEST(s3_retries, a_failed_upload_repeats_its_error_and_leaves_no_parts) {
  REQUIRE_S3();
  fault_proxy proxy([](const stub_request& r, int) -> std::optional<stub_response> {
    if (r.method == "PUT" && r.target.find("partNumber=") != std::string::npos) {
      return loopback_server::s3_error(503, "ServiceUnavailable");
    }
    return std::nullopt;
  });
  base::registry metrics;
  auto store = store_behind(proxy, metrics, test::fast_retries(2));
  auto u = store->begin_upload("failing");
  const std::string part(s3_store::min_part_size, 'p');
  ASSERT_TRUE((*u)->write(part));
  auto w = (*u)->write("one byte more sends the first part");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.err().what, base::outcome::retry);
  auto c = (*u)->commit();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.err().what, base::outcome::retry) << "the same error, not a new one";
  EXPECT_EQ(c.err().message, w.err().message);
  EXPECT_TRUE(store->pending_uploads("")->empty()) << "the failed upload was aborted";
  EXPECT_EQ(*store->head("failing"), std::nullopt);
}

TEST(s3_retries, a_lost_complete_answer_is_recognised) {
  REQUIRE_S3();
  // CompleteMultipartUpload reaches the server and completes the object, but its answer is lost;
  // the retry hears NoSuchUpload (or 412: an object is there), and the store checks that the
  // object there carries this upload's token.
  std::atomic<int> completes{0};
  fault_proxy proxy([&](const stub_request& r, int) -> std::optional<stub_response> {
    if (r.method == "POST" && r.target.find("uploadId=") != std::string::npos && ++completes == 1) {
      return stub_response{.what = action::forward_and_drop};
    }
    return std::nullopt;
  });
  base::registry metrics;
  auto store = store_behind(proxy, metrics);
  auto u = store->begin_upload("lost-answer");
  const std::string part(s3_store::min_part_size, 'p');
  ASSERT_TRUE((*u)->write(part));
  ASSERT_TRUE((*u)->write("tail"));
  auto c = (*u)->commit();
  ASSERT_TRUE(c) << c.err().message;
  EXPECT_EQ(completes.load(), 2);
  EXPECT_EQ((*store->head("lost-answer"))->size, static_cast<std::int64_t>(part.size() + 4));
}

TEST(s3_retries, a_lost_put_answer_is_recognised_by_the_uploads_token) {
  REQUIRE_S3();
  // The PUT of a small object lands, its answer is lost; the retry's If-None-Match fails (412) on
  // our own object, which the HEAD that follows recognises by its x-amz-meta-clicktrail-upload.
  std::atomic<int> puts{0};
  fault_proxy proxy([&](const stub_request& r, int) -> std::optional<stub_response> {
    if (r.method == "PUT" && r.target.find("lost-put") != std::string::npos && ++puts == 1) {
      return stub_response{.what = action::forward_and_drop};
    }
    return std::nullopt;
  });
  base::registry metrics;
  auto store = store_behind(proxy, metrics);
  auto u = store->begin_upload("lost-put");
  ASSERT_TRUE((*u)->write("small"));
  auto c = (*u)->commit();
  ASSERT_TRUE(c) << c.err().message;
  EXPECT_EQ(puts.load(), 2);
  EXPECT_EQ(**store->get("lost-put"), "small");
}

TEST(s3_retries, a_lost_put_if_answer_is_recognised_by_its_bytes) {
  REQUIRE_S3();
  std::atomic<int> puts{0};
  fault_proxy proxy([&](const stub_request& r, int) -> std::optional<stub_response> {
    if (r.method == "PUT" && r.target.find("intent") != std::string::npos && ++puts == 1) {
      return stub_response{.what = action::forward_and_drop};
    }
    return std::nullopt;
  });
  base::registry metrics;
  auto store = store_behind(proxy, metrics);
  auto v = store->put_if("intent", "generation 1 writer w1", std::nullopt);
  ASSERT_TRUE(v) << v.err().message;
  ASSERT_TRUE(*v) << "the first attempt created it; the retry's 412 is our own write";
  EXPECT_EQ(puts.load(), 2);
  EXPECT_EQ((*store->read("intent"))->version, **v);
}

// A role that may list the bucket only under its prefix (deploy/terraform's sink role) gets 403,
// not 404, for a key that does not exist. The proxy plays S3's part for GET and HEAD of objects
// and lets listings through to the real server.
TEST(s3_missing_keys, a_403_for_a_key_that_is_not_listed_means_missing_and_one_that_is_listed_is_refused) {
  REQUIRE_S3();
  fault_proxy proxy([](const stub_request& r, int) -> std::optional<stub_response> {
    const bool object_read =
        (r.method == "GET" || r.method == "HEAD") && r.target.find("list-type=") == std::string::npos;
    if (!object_read) return std::nullopt;
    auto denied = loopback_server::s3_error(403, "AccessDenied", "Access Denied");
    if (r.method == "HEAD") denied.body.clear();
    return denied;
  });
  base::registry metrics;
  auto store = store_behind(proxy, metrics);
  const std::string absent = "intents/absent";  // each test store has a fresh prefix
  auto got = store->get(absent);
  ASSERT_TRUE(got) << got.err().message;
  EXPECT_FALSE(got->has_value());
  auto headed = store->head(absent);
  ASSERT_TRUE(headed) << headed.err().message;
  EXPECT_FALSE(headed->has_value());

  const std::string present = "intents/present";
  ASSERT_TRUE(store->put(present, "x"));
  auto refused = store->get(present);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.err().what, base::outcome::fail);
  EXPECT_NE(refused.err().message.find("though the key exists"), std::string::npos) << refused.err().message;
  EXPECT_NE(refused.err().message.find("s3:ListBucket"), std::string::npos);
}

}  // namespace
}  // namespace clicktrail::store
