// geo_databases against real MaxMind-format databases: the ones tests/data/geo/make_test_mmdb.py
// writes at build time (documentation networks only; its EXPECTED holds the values below too).
#include "enrich/geo.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace clicktrail::enrich {
namespace {

namespace fs = std::filesystem;

// A database of the build's test data; a failure, not a skip, when it was not made.
std::string test_db(const char* name) {
  const fs::path p = fs::path(CT_GEO_TEST_DIR) / name;
  EXPECT_TRUE(fs::exists(p))
      << p.string()
      << " is missing: the build writes it with tests/data/geo/make_test_mmdb.py and "
         "the Python of .venv (mmdb-writer); run ./dev setup, then build enrich_test again";
  return p.string();
}

geo_databases open_test_dbs() {
  auto dbs = geo_databases::open(test_db("city.mmdb"), test_db("asn.mmdb"));
  if (!dbs) ADD_FAILURE() << dbs.err().message;
  return dbs ? std::move(dbs).value() : geo_databases{};
}

geo_fields place(const char* country, const char* region, const char* city) {
  geo_fields f;
  if (country) f.country = country;
  if (region) f.region = region;
  if (city) f.city = city;
  return f;
}

geo_fields with_asn(geo_fields f, std::int64_t asn, const char* org) {
  f.asn = asn;
  f.asn_org = org;
  return f;
}

TEST(geo, looks_up_country_region_city_and_network) {
  const geo_databases dbs = open_test_dbs();
  ASSERT_TRUE(dbs.configured());
  // The first subdivision (England), not the second (Greater London).
  EXPECT_EQ(dbs.lookup("192.0.2.10"),
            with_asn(place("GB", "England", "London"), 64496, "Example Transit Ltd"));
  // UTF-8 names and a 32-bit AS number.
  EXPECT_EQ(dbs.lookup("198.51.100.7"),
            with_asn(place("BR", "São Paulo", "São Paulo"), 4200000001, "Exemplo Móvel S.A."));
  EXPECT_EQ(dbs.lookup("2001:db8:1::1"),
            with_asn(place("FR", "Île-de-France", "Paris"), 64511, "Example IPv6 Networks"));
  // DB-IP City Lite's layout: a subdivision with a name and no ISO code; no ASN record.
  EXPECT_EQ(dbs.lookup("2001:db8:2:ffff::9"), place("US", "California", "Mountain View"));
}

TEST(geo, falls_back_to_the_registered_country_and_keeps_partial_records) {
  const geo_databases dbs = open_test_dbs();
  EXPECT_EQ(dbs.lookup("203.0.113.5"), place("JP", nullptr, nullptr));
  EXPECT_EQ(dbs.lookup("203.0.113.200"), place("DE", nullptr, nullptr));
}

TEST(geo, an_ipv4_mapped_ipv6_address_is_looked_up_as_ipv4) {
  const geo_databases dbs = open_test_dbs();
  EXPECT_EQ(dbs.lookup("::ffff:192.0.2.10"), dbs.lookup("192.0.2.10"));
  EXPECT_EQ(dbs.lookup("::FFFF:c000:020a"), dbs.lookup("192.0.2.10"));
  EXPECT_EQ(dbs.lookup("::ffff:192.0.2.10").country, "GB");
}

TEST(geo, unknown_private_and_unparseable_addresses_give_empty_fields) {
  const geo_databases dbs = open_test_dbs();
  for (const char* ip :
       {"2001:db8:3::1", "10.1.2.3", "127.0.0.1", "::1", "0.0.0.0",
        // not an address, or not a whole one
        "", "192.0.2", "192.0.2.10.1", "192.0.2.256", "not an address", " 192.0.2.10", "192.0.2.10 ",
        "192.0.2.10:443", "[2001:db8:1::1]", "2001:db8:1::1%eth0",
        // forms getaddrinfo would take, a browser never sends
        "3221225994", "0xc0.0.2.10", "192.0.522", "2001:0db8:0001:0000:0000:0000:0000:0001:ffff"}) {
    EXPECT_EQ(dbs.lookup(ip), geo_fields{}) << '"' << ip << '"';
  }
  EXPECT_EQ(dbs.lookup(std::string(200, '1')), geo_fields{});
}

TEST(geo, either_database_may_be_left_out) {
  auto none = geo_databases::open("", "");
  ASSERT_TRUE(none) << none.err().message;
  EXPECT_FALSE(none->configured());
  EXPECT_EQ(none->lookup("192.0.2.10"), geo_fields{});
  EXPECT_FALSE(geo_databases{}.configured());

  auto city_only = geo_databases::open(test_db("city.mmdb"), "");
  ASSERT_TRUE(city_only) << city_only.err().message;
  EXPECT_EQ(city_only->lookup("192.0.2.10"), place("GB", "England", "London"));

  auto asn_only = geo_databases::open("", test_db("asn.mmdb"));
  ASSERT_TRUE(asn_only) << asn_only.err().message;
  EXPECT_EQ(asn_only->lookup("192.0.2.10"), with_asn({}, 64496, "Example Transit Ltd"));
}

TEST(geo, a_database_of_the_other_layout_gives_empty_fields_not_wrong_ones) {
  auto swapped = geo_databases::open(test_db("asn.mmdb"), test_db("city.mmdb"));
  ASSERT_TRUE(swapped) << swapped.err().message;
  EXPECT_EQ(swapped->lookup("192.0.2.10"), geo_fields{});
}

TEST(geo, a_missing_file_is_an_error_naming_the_path_the_cause_and_the_fix) {
  const std::string path = (fs::temp_directory_path() / "clicktrail-no-such-dir/GeoLite2-City.mmdb").string();
  auto dbs = geo_databases::open(path, "");
  ASSERT_FALSE(dbs);
  const std::string& m = dbs.err().message;
  EXPECT_EQ(dbs.err().what, base::outcome::fail);
  EXPECT_NE(m.find(path), std::string::npos) << m;
  EXPECT_NE(m.find("No such file or directory"), std::string::npos) << m;
  EXPECT_NE(m.find("download GeoLite2-City.mmdb"), std::string::npos) << m;
  EXPECT_NE(m.find("[enrich] geoip_db"), std::string::npos) << m;

  auto asn = geo_databases::open(test_db("city.mmdb"), path);
  ASSERT_FALSE(asn);
  EXPECT_NE(asn.err().message.find("ASN database " + path), std::string::npos) << asn.err().message;
  EXPECT_NE(asn.err().message.find("GeoLite2-ASN.mmdb"), std::string::npos) << asn.err().message;
}

TEST(geo, a_file_that_is_not_a_maxmind_db_is_an_error_naming_the_path_and_the_fix) {
  const fs::path path =
      fs::temp_directory_path() / ("clicktrail-geo-test-" + std::to_string(::getpid()) + ".mmdb");
  std::ofstream(path) << "<html>404 Not Found</html>\n";  // what a failed download leaves
  auto dbs = geo_databases::open(path.string(), "");
  fs::remove(path);
  ASSERT_FALSE(dbs);
  const std::string& m = dbs.err().message;
  EXPECT_NE(m.find(path.string()), std::string::npos) << m;
  EXPECT_NE(m.find("not a MaxMind DB"), std::string::npos) << m;
  EXPECT_NE(m.find("set [enrich] geoip_db to its path, or remove the setting"), std::string::npos) << m;
}

TEST(geo, is_movable_and_shared_by_threads) {
  geo_databases moved = open_test_dbs();
  const geo_databases dbs = std::move(moved);
  const geo_fields london = dbs.lookup("192.0.2.10"), paris = dbs.lookup("2001:db8:1::1");
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (std::size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        wrong[t] += dbs.lookup("192.0.2.10") != london;
        wrong[t] += dbs.lookup("2001:db8:1::1") != paris;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace clicktrail::enrich
