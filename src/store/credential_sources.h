#pragma once
// Where AWS credentials come from, in the order the AWS SDKs use:
//   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
//   2. the shared credentials file: AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, profile
//      AWS_PROFILE or "default" (static keys only: role_arn, sso and credential_process are not
//      followed)
//   3. the container endpoint (ECS, EKS Pod Identity): AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
//      under http://169.254.170.2, or AWS_CONTAINER_CREDENTIALS_FULL_URI, with
//      AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE) as the Authorization header
//   4. EC2 instance metadata, IMDSv2 (session token, then the role, then its credentials) at
//      AWS_EC2_METADATA_SERVICE_ENDPOINT or http://169.254.169.254, unless
//      AWS_EC2_METADATA_DISABLED=true
// Each is a credential_source (credentials.h); default_credential_chain() puts them in order.

#include <chrono>
#include <memory>
#include <string>

#include "store/credentials.h"
#include "store/environment.h"
#include "store/http_client.h"

namespace clicktrail::store {

std::unique_ptr<credential_source> environment_source(const environment& env);
std::unique_ptr<credential_source> profile_source(const environment& env);

struct remote_source_options {
  // Where AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is resolved; tests point it at 127.0.0.1.
  std::string container_host = "http://169.254.170.2";
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds timeout{2000};
};

// The sources share the client (and its kept-alive connections) with whoever else holds it.
std::unique_ptr<credential_source> container_source(const environment& env, std::shared_ptr<http_client> http,
                                                    const remote_source_options& options = {});
std::unique_ptr<credential_source> instance_metadata_source(const environment& env,
                                                            std::shared_ptr<http_client> http,
                                                            const remote_source_options& options = {});

// The four sources above, in order.
std::unique_ptr<credential_chain> default_credential_chain(const environment& env,
                                                           std::shared_ptr<http_client> http,
                                                           const remote_source_options& options = {});

// A fixed set of credentials (tests, and configurations that carry keys themselves).
std::unique_ptr<credential_source> static_source(credentials c);

}  // namespace clicktrail::store
