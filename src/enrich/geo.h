#pragma once
// Where an address is: country, region, city and network, from the operator's MaxMind-format
// databases (GeoLite2-City or DB-IP City Lite; GeoLite2-ASN or DB-IP ASN Lite).
//
// geo_databases is opened once at start-up and then only read: lookup() is const and may be
// called from every request thread at once (libmaxminddb reads the memory-mapped file and keeps
// no state between lookups). The object owns both databases and closes them when destroyed;
// moving it moves the ownership.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

struct MMDB_s;  // libmaxminddb's handle; its header stays out of ours

namespace clicktrail::enrich {

struct geo_fields {
  std::optional<std::string> country;  // ISO 3166-1 alpha-2, "GB"
  // The first (largest) subdivision's English name, "England", "California": DB-IP City Lite has
  // names but no ISO codes, so a code would exist for one vendor's databases only; a name is
  // also what a report shows. Unique within a country, so group by (country, region).
  std::optional<std::string> region;
  std::optional<std::string> city;  // English name, "London"
  std::optional<std::int64_t> asn;  // autonomous system number, 64496
  std::optional<std::string> asn_org;

  friend bool operator==(const geo_fields&, const geo_fields&) = default;
};

class geo_databases {
 public:
  // Opens the City-layout and the ASN-layout database; an empty path leaves that one out. An
  // error names the path, what is wrong and the fix (the outcome is fail: start-up stops).
  static base::result<geo_databases> open(const std::string& city_db_path, const std::string& asn_db_path);

  geo_databases() = default;  // none configured: every lookup is empty
  geo_databases(geo_databases&&) noexcept = default;
  geo_databases& operator=(geo_databases&&) noexcept = default;
  ~geo_databases() = default;

  bool configured() const noexcept { return city_ || asn_; }

  // `ip` is a whole IPv4 or IPv6 address in text ("192.0.2.1", "2001:db8::1"); an IPv4-mapped
  // IPv6 address ("::ffff:192.0.2.1", what a dual-stack socket reports) is looked up as IPv4.
  // Unparseable, private, reserved or unknown addresses give empty fields. Thread-safe.
  geo_fields lookup(std::string_view ip) const;

 private:
  struct closer {
    void operator()(MMDB_s* db) const noexcept;
  };
  using handle = std::unique_ptr<MMDB_s, closer>;

  handle city_;
  handle asn_;
};

}  // namespace clicktrail::enrich
