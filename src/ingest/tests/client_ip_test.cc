#include "ingest/client_ip.h"

#include <gtest/gtest.h>

namespace clicktrail::ingest {
namespace {

std::vector<config::cidr> proxies(std::initializer_list<const char*> ranges) {
  std::vector<config::cidr> out;
  for (const char* r : ranges) out.push_back(*config::parse_cidr(r));
  return out;
}

TEST(client_ip, anonymises_v4_to_24_and_v6_to_48) {
  EXPECT_EQ(client_ip("203.0.113.77", "", {}, true).stored, "203.0.113.0");
  EXPECT_EQ(client_ip("203.0.113.77", "", {}, false).stored, "203.0.113.77");
  EXPECT_EQ(client_ip("2001:db8:1234:5678::1", "", {}, true).stored, "2001:db8:1234::");
  EXPECT_EQ(client_ip("::ffff:198.51.100.9", "", {}, true).stored, "198.51.100.0");  // v4-mapped shows as v4
}

TEST(client_ip, the_full_address_is_kept_beside_the_stored_one_for_the_lookups) {
  const auto a = client_ip("10.0.0.5", "203.0.113.77", proxies({"10.0.0.0/8"}), true);
  EXPECT_EQ(a.full, "203.0.113.77");
  EXPECT_EQ(a.stored, "203.0.113.0");
  EXPECT_EQ(client_ip("not an address", "", {}, true).full, "");
}

TEST(client_ip, forwarded_for_is_ignored_from_untrusted_peers) {
  EXPECT_EQ(client_ip("198.51.100.9", "1.2.3.4", {}, false).stored, "198.51.100.9");
  EXPECT_EQ(client_ip("198.51.100.9", "1.2.3.4", proxies({"10.0.0.0/8"}), false).stored, "198.51.100.9");
}

TEST(client_ip, behind_trusted_proxies_the_nearest_untrusted_hop_wins) {
  const auto lb = proxies({"10.0.0.0/8"});
  EXPECT_EQ(client_ip("10.0.0.5", "203.0.113.7", lb, false).stored, "203.0.113.7");
  // The client wrote "6.6.6.6" itself; the proxies appended the real address and their own.
  EXPECT_EQ(client_ip("10.0.0.5", "6.6.6.6, 203.0.113.7, 10.1.1.1", lb, false).stored, "203.0.113.7");
  EXPECT_EQ(client_ip("10.0.0.5", " [2001:db8::9] ", lb, false).stored, "2001:db8::9");
  EXPECT_EQ(client_ip("10.0.0.5", "203.0.113.7:4711", lb, false).stored, "203.0.113.7");
  EXPECT_EQ(client_ip("10.0.0.5", "garbage", lb, false).stored, "10.0.0.5");
}

TEST(client_ip, no_valid_peer_gives_an_empty_address) {
  EXPECT_EQ(client_ip("", "", {}, true).stored, "");
  EXPECT_EQ(client_ip("not-an-ip", "", {}, true).stored, "");
}

}  // namespace
}  // namespace clicktrail::ingest
