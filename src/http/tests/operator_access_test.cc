// The operator routes: loopback, or behind the admin token.

#include "http/operator_access.h"

#include <gtest/gtest.h>

namespace clicktrail::http {
namespace {

TEST(operator_access, loopback_hosts) {
  for (const char* host : {"127.0.0.1", "127.9.8.7", "::1", "localhost"})
    EXPECT_TRUE(is_loopback(host)) << host;
  for (const char* host :
       {"0.0.0.0", "::", "10.0.0.1", "192.168.1.5", "example.com", "::ffff:127.0.0.1x", ""})
    EXPECT_FALSE(is_loopback(host)) << host;
}

unsigned status_of(const handler& h, std::string query, header_list headers) {
  request r;
  r.method = "GET";
  r.path = "/metrics";
  r.query = std::move(query);
  r.headers = std::move(headers);
  unsigned status = 0;
  h(std::move(r), [&](response out) { status = out.status; });
  return status;
}

TEST(operator_access, the_token_in_a_bearer_header_or_the_query_and_nothing_else) {
  const std::string token = "0123456789abcdef01234567";
  const handler guarded = require_token(token, [](request&&, reply_fn reply) { reply(response{}); });
  EXPECT_EQ(status_of(guarded, "", {{"authorization", "Bearer " + token}}), 200u);
  EXPECT_EQ(status_of(guarded, "a=1&token=" + token, {}), 200u);
  EXPECT_EQ(status_of(guarded, "", {}), 401u);
  EXPECT_EQ(status_of(guarded, "token=" + token.substr(1), {}), 401u);
  EXPECT_EQ(status_of(guarded, "token=" + token + "0", {}), 401u);
  EXPECT_EQ(status_of(guarded, "", {{"authorization", "Basic " + token}}), 401u);
  EXPECT_EQ(status_of(guarded, "xtoken=" + token, {}), 401u);
}

TEST(operator_access, where_the_routes_go_on_the_main_listener) {
  EXPECT_TRUE(operator_guard("127.0.0.1", ""));
  EXPECT_FALSE(operator_guard("0.0.0.0", ""));
  const auto guarded = operator_guard("0.0.0.0", "0123456789abcdef01234567");
  ASSERT_TRUE(guarded);
  EXPECT_EQ(status_of((*guarded)([](request&&, reply_fn reply) { reply(response{}); }), "", {}), 401u);
}

}  // namespace
}  // namespace clicktrail::http
