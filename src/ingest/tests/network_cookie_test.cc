#include "ingest/network_cookie.h"

#include <gtest/gtest.h>

namespace clicktrail::ingest {
namespace {

TEST(network_cookie, the_named_cookie_is_found_among_others) {
  EXPECT_EQ(cookie_value("_sp_id.1fff=a.b; sp=9d1f; x=1", "sp"), "9d1f");
  EXPECT_EQ(cookie_value("sp=\"quoted\"", "sp"), "quoted");
  EXPECT_EQ(cookie_value(" sp = spaced ;", "sp"), "spaced");
  EXPECT_EQ(cookie_value("spx=1; xsp=2", "sp"), std::nullopt);
  EXPECT_EQ(cookie_value("", "sp"), std::nullopt);
  EXPECT_EQ(cookie_value("sp", "sp"), std::nullopt);
}

TEST(network_cookie, the_domain_is_the_first_the_origin_host_is_or_ends_in) {
  cookie_settings s{"sp", std::chrono::hours(24), {"example.com", "example.org"}, "fallback.example"};
  EXPECT_EQ(cookie_domain(s, "https://www.example.com"), "example.com");
  EXPECT_EQ(cookie_domain(s, "https://EXAMPLE.com:8443"), "example.com");
  EXPECT_EQ(cookie_domain(s, "https://shop.example.org"), "example.org");
  EXPECT_EQ(cookie_domain(s, "https://notexample.com"), "fallback.example") << "a suffix must start at a dot";
  EXPECT_EQ(cookie_domain(s, ""), "fallback.example");
  s.fallback_domain.clear();
  EXPECT_EQ(cookie_domain(s, "https://other.example"), "") << "host-only";
  EXPECT_EQ(cookie_domain(s, "http://[::1]:8080"), "");
}

TEST(network_cookie, set_cookie_has_snowplows_attributes) {
  const cookie_settings s{"sp", std::chrono::hours(24 * 365), {"example.com"}, ""};
  EXPECT_EQ(set_cookie(s, "9d1f4a2b-7c3e-4b8a-a1d2-3e4f5a6b7c8d", "https://www.example.com", 1'733'370'000),
            "sp=9d1f4a2b-7c3e-4b8a-a1d2-3e4f5a6b7c8d; Expires=Fri, 05 Dec 2025 03:40:00 GMT; Path=/; "
            "Domain=example.com; Secure; HttpOnly; SameSite=None");
  EXPECT_EQ(set_cookie(s, "v", "", 0),
            "sp=v; Expires=Fri, 01 Jan 1971 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=None");
}

}  // namespace
}  // namespace clicktrail::ingest
