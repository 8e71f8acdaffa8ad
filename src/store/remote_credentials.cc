// The credential sources behind HTTP: the container endpoint and EC2 instance metadata (IMDSv2).
// fetch() runs under the chain's lock, on whichever thread needed credentials.
#include <fmt/format.h>
#include <simdjson.h>
#include <time.h>

#include <fstream>
#include <sstream>

#include "base/redact.h"
#include "store/credential_sources.h"

namespace clicktrail::store {
namespace {

using clock = std::chrono::system_clock;

// "2015-08-30T12:36:00Z", optionally with fractional seconds.
std::optional<clock::time_point> parse_iso8601(std::string_view s) {
  std::tm tm{};
  char tail = '\0';
  const std::string text(s);
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,  // NOLINT
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &tail) < 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t t = timegm(&tm);
  if (t == -1) return std::nullopt;
  return clock::from_time_t(t);
}

// {"AccessKeyId":…,"SecretAccessKey":…,"Token":…,"Expiration":…}, the shape both endpoints answer.
base::result<credentials> parse_credentials(std::string_view body, const std::string& source) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  auto bad = [&](std::string_view why) {
    return base::error::retry(
        fmt::format("AWS credentials from {}: {} in the answer \"{}\"; it will be retried", source, why,
                    base::excerpt(body)));
  };
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) return bad("not JSON");
  auto field = [&](const char* name) -> std::string {
    std::string_view v;
    return doc[name].get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
  };
  if (const std::string code = field("Code"); !code.empty() && code != "Success") {
    return bad(fmt::format("Code {}", code));
  }
  credentials c{field("AccessKeyId"), field("SecretAccessKey"), field("Token"), std::nullopt, source};
  if (c.access_key_id.empty() || c.secret_access_key.empty()) return bad("no AccessKeyId or SecretAccessKey");
  if (const std::string expiration = field("Expiration"); !expiration.empty()) {
    c.expires = parse_iso8601(expiration);
    if (!c.expires) return bad(fmt::format("an Expiration \"{}\" that is not ISO 8601", expiration));
  }
  return c;
}

// A non-200 answer: 5xx and 429 may pass, anything else needs the deployment fixed.
base::error status_error(const std::string& what, const http_response& r, std::string_view fix) {
  std::string m = fmt::format("AWS credentials: {} answered HTTP {} \"{}\"; {}", what, r.status,
                              base::excerpt(r.body), fix);
  return (r.status >= 500 || r.status == 429) ? base::error::retry(std::move(m))
                                              : base::error::fail(std::move(m));
}

// http is allowed only to hosts that cannot be on the network path: loopback and the ECS/EKS
// link-local agents. https may go anywhere.
bool allowed_full_uri(std::string_view uri) {
  if (uri.starts_with("https://")) return true;
  if (!uri.starts_with("http://")) return false;
  std::string_view host = uri.substr(7);
  host = host.substr(0, host.find('/'));
  if (host.starts_with('[')) {
    host = host.substr(1, host.find(']') - 1);
    return host == "::1" || host == "fd00:ec2::23";
  }
  host = host.substr(0, host.find(':'));
  return host.starts_with("127.") || host == "localhost" || host == "169.254.170.2" ||
         host == "169.254.170.23";
}

class container_endpoint final : public credential_source {
 public:
  container_endpoint(const environment& env, std::shared_ptr<http_client> http, remote_source_options options)
      : http_(std::move(http)), options_(std::move(options)) {
    if (auto rel = env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
      url_ = options_.container_host + *rel;
    } else if (auto full = env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
      url_ = *full;
      full_ = true;
    }
    token_ = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN").value_or("");
    token_file_ = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").value_or("");
  }

  base::result<std::optional<credentials>> fetch() override {
    if (url_.empty()) return std::optional<credentials>();
    if (full_ && !allowed_full_uri(url_)) {
      return base::error::fail(
          fmt::format("AWS credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI {} is plain http to a host that "
                      "is not loopback or "
                      "the container agent; use https or a loopback address",
                      url_));
    }
    http_request r("GET", url_);
    r.connect_timeout = options_.connect_timeout;
    r.timeout = options_.timeout;
    std::string token = token_;
    if (!token_file_.empty()) {  // read each time: the agent rotates it
      std::ifstream in(token_file_);
      std::stringstream content;
      content << in.rdbuf();
      if (!in) {
        return base::error::fail(fmt::format(
            "AWS credentials: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {}; check the pod's volume",
            token_file_));
      }
      token = content.str();
      while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    }
    if (!token.empty()) r.headers.emplace_back("Authorization", token);
    r.headers.emplace_back("Accept", "application/json");
    auto response = http_->send(r);
    if (!response) {
      return base::error::retry(fmt::format("AWS credentials: the container endpoint {} is unreachable: {}",
                                            url_, response.err().message));
    }
    if (response->status != 200) {
      return status_error("the container endpoint " + url_, *response,
                          "check the task role and AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    auto c = parse_credentials(response->body, "the container endpoint " + url_);
    if (!c) return std::move(c).err();
    return std::optional<credentials>(std::move(*c));
  }

  std::string name() const override { return "container endpoint (AWS_CONTAINER_CREDENTIALS_*_URI)"; }

 private:
  std::shared_ptr<http_client> http_;
  remote_source_options options_;
  std::string url_, token_, token_file_;
  bool full_ = false;
};

class instance_metadata final : public credential_source {
 public:
  instance_metadata(const environment& env, std::shared_ptr<http_client> http, remote_source_options options)
      : http_(std::move(http)),
        options_(std::move(options)),
        disabled_(env.get("AWS_EC2_METADATA_DISABLED").value_or("") == "true"),
        endpoint_(env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("http://169.254.169.254")) {
    while (endpoint_.ends_with('/')) endpoint_.pop_back();
  }

  base::result<std::optional<credentials>> fetch() override {
    if (disabled_) return std::optional<credentials>();
    // 1. A session token (IMDSv2); no answer at all means this is not an EC2 instance.
    auto token = send("PUT", "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}});
    if (!token) return std::optional<credentials>();
    if (token->status != 200) {
      return status_error(
          "EC2 instance metadata " + endpoint_ + " (token)", *token,
          "allow IMDSv2 on the instance (metadata options: http-tokens, hop limit ≥ 2 in containers)");
    }
    const std::pair<std::string, std::string> auth{"X-aws-ec2-metadata-token", token->body};
    // 2. The role attached to the instance.
    const std::string roles_path = "/latest/meta-data/iam/security-credentials/";
    auto roles = send("GET", roles_path, {auth});
    if (!roles) return std::move(roles).err();
    if (roles->status != 200) {
      return status_error(
          "EC2 instance metadata " + endpoint_ + " (role)", *roles,
          "attach an IAM instance profile with access to the bucket, or give credentials another way");
    }
    std::string role = roles->body.substr(0, roles->body.find('\n'));
    while (!role.empty() && (role.back() == '\r' || role.back() == ' ')) role.pop_back();
    if (role.empty()) {
      return base::error::fail("AWS credentials: the instance has no IAM role; attach an instance profile");
    }
    // 3. That role's temporary credentials.
    auto creds = send("GET", roles_path + role, {auth});
    if (!creds) return std::move(creds).err();
    if (creds->status != 200) {
      return status_error("EC2 instance metadata " + endpoint_ + " (credentials of " + role + ")", *creds,
                          "check the instance profile");
    }
    auto c = parse_credentials(creds->body, "instance role " + role);
    if (!c) return std::move(c).err();
    return std::optional<credentials>(std::move(*c));
  }

  std::string name() const override { return "EC2 instance metadata at " + endpoint_; }

 private:
  base::result<http_response> send(std::string method, const std::string& path,
                                   std::vector<std::pair<std::string, std::string>> headers) {
    http_request r(std::move(method), endpoint_ + path);
    r.headers = std::move(headers);
    r.connect_timeout = options_.connect_timeout;
    r.timeout = options_.timeout;
    auto response = http_->send(r);
    if (!response) {
      return base::error::retry(fmt::format("AWS credentials: EC2 instance metadata {} is unreachable: {}",
                                            endpoint_, response.err().message));
    }
    return response;
  }

  std::shared_ptr<http_client> http_;
  remote_source_options options_;
  bool disabled_;
  std::string endpoint_;
};

}  // namespace

std::unique_ptr<credential_source> container_source(const environment& env, std::shared_ptr<http_client> http,
                                                    const remote_source_options& options) {
  return std::make_unique<container_endpoint>(env, std::move(http), options);
}

std::unique_ptr<credential_source> instance_metadata_source(const environment& env,
                                                            std::shared_ptr<http_client> http,
                                                            const remote_source_options& options) {
  return std::make_unique<instance_metadata>(env, std::move(http), options);
}

std::unique_ptr<credential_chain> default_credential_chain(const environment& env,
                                                           std::shared_ptr<http_client> http,
                                                           const remote_source_options& options) {
  std::vector<std::unique_ptr<credential_source>> sources;
  sources.push_back(environment_source(env));
  sources.push_back(profile_source(env));
  sources.push_back(container_source(env, http, options));  // copies: both sources share it
  sources.push_back(instance_metadata_source(env, std::move(http), options));
  return std::make_unique<credential_chain>(std::move(sources));
}

}  // namespace clicktrail::store
