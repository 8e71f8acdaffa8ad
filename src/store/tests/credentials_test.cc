// The credential chain and each of its sources. The container endpoint and instance metadata
// are played by a loopback HTTP server on 127.0.0.1, never the real 169.254.x addresses.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "store/credential_sources.h"
#include "store/tests/loopback_server.h"

namespace clicktrail::store {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::loopback_server;
using test::stub_request;
using test::stub_response;
using vars = std::map<std::string, std::string, std::less<>>;

std::string iso8601(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

std::string credentials_json(const std::string& id, std::chrono::system_clock::time_point expires) {
  return R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":")" + id + R"(","SecretAccessKey":"secret-)" +
         id + R"(","Token":"token-)" + id + R"(","Expiration":")" + iso8601(expires) + R"("})";
}

std::shared_ptr<http_client> http() {
  return std::make_shared<http_client>();
}

TEST(s3_credentials, environment_first) {
  const environment env(vars{{"AWS_ACCESS_KEY_ID", "AKID"},
                             {"AWS_SECRET_ACCESS_KEY", "SECRET"},
                             {"AWS_SESSION_TOKEN", "TOKEN"},
                             {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/"}});
  auto c = default_credential_chain(env, http())->get();
  ASSERT_TRUE(c) << c.err().message;
  EXPECT_EQ(c->access_key_id, "AKID");
  EXPECT_EQ(c->secret_access_key, "SECRET");
  EXPECT_EQ(c->session_token, "TOKEN");
  EXPECT_EQ(c->source, "environment");
  EXPECT_FALSE(c->expires);
}

TEST(s3_credentials, half_set_environment_is_an_error_that_names_the_missing_variable) {
  auto c = environment_source(environment(vars{{"AWS_ACCESS_KEY_ID", "AKID"}}))->fetch();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.err().what, base::outcome::fail);
  EXPECT_NE(c.err().message.find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos) << c.err().message;
}

class s3_credentials_file : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("clicktrail-credentials-" + std::to_string(::getpid()));
    std::ofstream(path_) << "# comment\n"
                            "[default]\n"
                            "aws_access_key_id = DEFAULTID\n"
                            "aws_secret_access_key=DEFAULTSECRET\n"
                            "\n"
                            "[profile work]\n"  // config-file spelling, accepted too
                            "  aws_access_key_id = WORKID  \n"
                            "; another comment\n"
                            "aws_secret_access_key = WORK/SECRET+KEY\n"
                            "aws_session_token = WORKTOKEN\n"
                            "[sso]\n"
                            "sso_start_url = https://example.awsapps.com/start\n";
  }
  void TearDown() override { fs::remove(path_); }
  fs::path path_;
};

TEST_F(s3_credentials_file, default_profile) {
  auto c =
      default_credential_chain(environment(vars{{"AWS_SHARED_CREDENTIALS_FILE", path_.string()}}), http())
          ->get();
  ASSERT_TRUE(c) << c.err().message;
  EXPECT_EQ(c->access_key_id, "DEFAULTID");
  EXPECT_EQ(c->secret_access_key, "DEFAULTSECRET");
  EXPECT_EQ(c->session_token, "");
}

TEST_F(s3_credentials_file, named_profile) {
  auto c = profile_source(
               environment(vars{{"AWS_SHARED_CREDENTIALS_FILE", path_.string()}, {"AWS_PROFILE", "work"}}))
               ->fetch();
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->access_key_id, "WORKID");
  EXPECT_EQ((*c)->secret_access_key, "WORK/SECRET+KEY");
  EXPECT_EQ((*c)->session_token, "WORKTOKEN");
}

TEST_F(s3_credentials_file, home_directory_file) {
  const fs::path home = path_.string() + "-home";
  fs::create_directories(home / ".aws");
  fs::copy_file(path_, home / ".aws" / "credentials");
  auto c = profile_source(environment(vars{{"HOME", home.string()}}))->fetch();
  fs::remove_all(home);
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->access_key_id, "DEFAULTID");
}

TEST_F(s3_credentials_file, a_chosen_profile_without_keys_says_so) {
  for (const char* profile : {"sso", "nope"}) {
    auto c = profile_source(
                 environment(vars{{"AWS_SHARED_CREDENTIALS_FILE", path_.string()}, {"AWS_PROFILE", profile}}))
                 ->fetch();
    ASSERT_FALSE(c) << profile;
    EXPECT_EQ(c.err().what, base::outcome::fail);
    EXPECT_NE(c.err().message.find(std::string("AWS_PROFILE=") + profile), std::string::npos)
        << c.err().message;
  }
  auto missing =
      profile_source(environment(vars{{"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"}}))->fetch();
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.err().message.find("/nonexistent/credentials"), std::string::npos);
  EXPECT_TRUE(profile_source(environment(vars{{"HOME", "/nonexistent"}}))->fetch())
      << "no file, no profile: skip";
}

TEST(s3_credentials, container_full_uri_with_authorization_token) {
  const auto expires = std::chrono::system_clock::now() + 6h;
  loopback_server endpoint([&](const stub_request& r) {
    if (r.target != "/v2/credentials/task" || r.headers.count("authorization") == 0 ||
        r.headers.at("authorization") != "Bearer t0ken") {
      return stub_response{401, {}, "unauthorized"};
    }
    return stub_response{200, {{"Content-Type", "application/json"}}, credentials_json("CONTAINER", expires)};
  });
  const environment env(vars{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.url() + "/v2/credentials/task"},
                             {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer t0ken"},
                             {"HOME", "/nonexistent"}});
  auto c = default_credential_chain(env, http())->get();
  ASSERT_TRUE(c) << c.err().message;
  EXPECT_EQ(c->access_key_id, "CONTAINER");
  EXPECT_EQ(c->secret_access_key, "secret-CONTAINER");
  EXPECT_EQ(c->session_token, "token-CONTAINER");
  ASSERT_TRUE(c->expires);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*c->expires), std::chrono::system_clock::to_time_t(expires));

  auto wrong =
      container_source(
          environment(vars{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.url() + "/v2/credentials/task"}}),
          http())
          ->fetch();
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.err().what, base::outcome::fail);
  EXPECT_NE(wrong.err().message.find("HTTP 401"), std::string::npos) << wrong.err().message;
}

TEST(s3_credentials, container_relative_uri_and_token_file) {
  const fs::path token_file = fs::temp_directory_path() / ("clicktrail-token-" + std::to_string(::getpid()));
  std::ofstream(token_file) << "file-token\n";
  loopback_server endpoint([&](const stub_request& r) {
    if (r.target != "/v2/creds/abc" ||
        (r.headers.count("authorization") == 0 || r.headers.at("authorization") != "file-token"))
      return stub_response{403, {}, "no"};
    return stub_response{200, {}, credentials_json("RELATIVE", std::chrono::system_clock::now() + 1h)};
  });
  remote_source_options options;
  options.container_host = endpoint.url();
  auto c =
      container_source(environment(vars{{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds/abc"},
                                        {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file.string()}}),
                       http(), options)
          ->fetch();
  fs::remove(token_file);
  ASSERT_TRUE(c) << c.err().message;
  ASSERT_TRUE(*c);
  EXPECT_EQ((*c)->access_key_id, "RELATIVE");
}

TEST(s3_credentials, container_full_uri_must_not_be_plain_http_to_a_remote_host) {
  auto c = container_source(
               environment(vars{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds"}}), http())
               ->fetch();
  ASSERT_FALSE(c);
  EXPECT_NE(c.err().message.find("use https or a loopback address"), std::string::npos);
}

// IMDSv2 as EC2 answers it: a session token from PUT, then the role, then its credentials, each
// GET refused without the token.
class fake_imds {
 public:
  fake_imds() : server_([this](const stub_request& r) { return answer(r); }) {}

  std::string url() const { return server_.url(); }
  std::vector<std::string> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  std::atomic<int> credentials_served{0};
  std::atomic<bool> broken{false};
  std::chrono::seconds lifetime{6 * 3600};

 private:
  stub_response answer(const stub_request& r) {
    {
      std::lock_guard lock(mutex_);
      seen_.push_back(r.method + " " + r.target);
    }
    if (broken) return stub_response{500, {}, "broken"};
    if (r.method == "PUT" && r.target == "/latest/api/token") {
      if (r.headers.count("x-aws-ec2-metadata-token-ttl-seconds") == 0) return stub_response{400, {}, ""};
      return stub_response{200, {}, "imds-session-token"};
    }
    const auto token = r.headers.find("x-aws-ec2-metadata-token");
    if (token == r.headers.end() || token->second != "imds-session-token") return stub_response{401, {}, ""};
    if (r.target == "/latest/meta-data/iam/security-credentials/")
      return stub_response{200, {}, "clicktrail-sink\n"};
    if (r.target == "/latest/meta-data/iam/security-credentials/clicktrail-sink") {
      const int n = ++credentials_served;
      return stub_response{
          200, {}, credentials_json("IMDS" + std::to_string(n), std::chrono::system_clock::now() + lifetime)};
    }
    return stub_response{404, {}, ""};
  }

  std::mutex mutex_;
  std::vector<std::string> seen_;
  loopback_server server_;
};

TEST(s3_credentials, instance_metadata_v2) {
  fake_imds imds;
  const environment env(
      vars{{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url() + "/"}, {"HOME", "/nonexistent"}});
  auto chain = default_credential_chain(env, http());
  auto c = chain->get();
  ASSERT_TRUE(c) << c.err().message;
  EXPECT_EQ(c->access_key_id, "IMDS1");
  EXPECT_EQ(c->session_token, "token-IMDS1");
  EXPECT_EQ(c->source, "instance role clicktrail-sink");
  EXPECT_EQ(imds.seen(), (std::vector<std::string>{
                             "PUT /latest/api/token", "GET /latest/meta-data/iam/security-credentials/",
                             "GET /latest/meta-data/iam/security-credentials/clicktrail-sink"}));
  EXPECT_EQ(chain->get()->access_key_id, "IMDS1") << "cached while far from expiry";
  EXPECT_EQ(imds.credentials_served, 1);
}

TEST(s3_credentials, temporary_credentials_are_refreshed_before_they_expire) {
  fake_imds imds;
  // Expiration has whole seconds, so a 4 s lifetime is 3 to 4 s: refreshed after 1.5 to 2 s.
  imds.lifetime = std::chrono::seconds(4);
  const environment env(vars{{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}, {"HOME", "/nonexistent"}});
  auto chain = default_credential_chain(env, http());
  EXPECT_EQ(chain->get()->access_key_id, "IMDS1");
  EXPECT_EQ(chain->get()->access_key_id, "IMDS1");
  std::this_thread::sleep_for(2100ms);
  EXPECT_EQ(chain->get()->access_key_id, "IMDS2");

  // The endpoint breaks: the current credentials serve until they expire, then the error shows.
  imds.broken = true;
  std::this_thread::sleep_for(2100ms);  // past IMDS2's refresh time, before its expiry
  auto kept = chain->get();
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->access_key_id, "IMDS2");
  std::this_thread::sleep_for(2300ms);  // IMDS2 has expired now
  auto gone = chain->get();
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.err().message.find("HTTP 500"), std::string::npos) << gone.err().message;
}

TEST(s3_credentials, invalidate_fetches_again) {
  fake_imds imds;
  auto chain = default_credential_chain(
      environment(vars{{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}, {"HOME", "/nonexistent"}}), http());
  EXPECT_EQ(chain->get()->access_key_id, "IMDS1");
  chain->invalidate();
  EXPECT_EQ(chain->get()->access_key_id, "IMDS2");
}

TEST(s3_credentials, nothing_configured_names_every_source_tried) {
  // A loopback port with nothing listening stands in for "not on EC2".
  std::uint16_t closed_port;
  {
    loopback_server gone([](const stub_request&) { return stub_response{}; });
    closed_port = gone.port();
  }
  const environment env(
      vars{{"HOME", "/nonexistent"},
           {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:" + std::to_string(closed_port)}});
  auto c = default_credential_chain(env, http())->get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.err().what, base::outcome::fail);
  for (const char* part : {"no AWS credentials found", "environment", "/nonexistent/.aws/credentials",
                           "container", "EC2 instance metadata", "AWS_ACCESS_KEY_ID"}) {
    EXPECT_NE(c.err().message.find(part), std::string::npos) << part << " in: " << c.err().message;
  }
  EXPECT_FALSE(
      default_credential_chain(environment(vars{{"AWS_EC2_METADATA_DISABLED", "true"}}), http())->get());
}

TEST(s3_credentials, instance_without_a_role_says_to_attach_one) {
  loopback_server imds([](const stub_request& r) {
    if (r.method == "PUT") return stub_response{200, {}, "tok"};
    return stub_response{404, {}, "Not Found"};
  });
  auto c =
      instance_metadata_source(environment(vars{{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}}), http())
          ->fetch();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.err().what, base::outcome::fail);
  EXPECT_NE(c.err().message.find("attach an IAM instance profile"), std::string::npos) << c.err().message;
}

}  // namespace
}  // namespace clicktrail::store
