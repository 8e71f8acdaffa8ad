#include "enrich/geo.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

namespace clicktrail::enrich {
namespace {

// Which database a path is for: the setting that names it and how to get one, for errors.
struct database_kind {
  const char* what;
  const char* fix;
};
constexpr database_kind city_kind{
    "City database",
    "download GeoLite2-City.mmdb (maxmind.com) or dbip-city-lite.mmdb (db-ip.com) and set [enrich] "
    "geoip_db to its path, or remove the setting"};
constexpr database_kind asn_kind{
    "ASN database",
    "download GeoLite2-ASN.mmdb (maxmind.com) or dbip-asn-lite.mmdb (db-ip.com) and set [enrich] "
    "asn_db to its path, or remove the setting"};

base::error open_error(const database_kind& kind, const std::string& path, int status, int saved_errno) {
  std::string why = MMDB_strerror(status);
  // The two statuses that come from a system call: errno says which (missing, no permission …).
  if ((status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR) && saved_errno != 0) {
    why += fmt::format(" ({})", std::strerror(saved_errno));
  } else if (status == MMDB_INVALID_METADATA_ERROR || status == MMDB_UNKNOWN_DATABASE_FORMAT_ERROR ||
             status == MMDB_CORRUPT_SEARCH_TREE_ERROR || status == MMDB_INVALID_DATA_ERROR) {
    why += ": it is not a MaxMind DB (.mmdb) file, or a damaged one";
  }
  return base::error::fail(fmt::format("cannot open the geo {} {}: {}; {}", kind.what, path, why, kind.fix));
}

// The database at `path`, open, or an error saying why not and what to do.
base::result<std::unique_ptr<MMDB_s>> open_one(const database_kind& kind, const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {  // else MMDB_open's mmap reports "No such device"
    return base::error::fail(fmt::format("cannot open the geo {} {}: it is a directory, not a .mmdb file; {}",
                                         kind.what, path, kind.fix));
  }
  auto db = std::make_unique<MMDB_s>();
  errno = 0;
  const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, db.get());
  if (status != MMDB_SUCCESS) return open_error(kind, path, status, errno);  // MMDB_open freed its part
  return db;
}

// The address as a socket address, parsed by inet_pton: MMDB_lookup_string calls getaddrinfo,
// which allocates and costs ~40 ns more per lookup (120 against 80 ns with the test database),
// and takes forms no client sends ("3221225994", "0xc0.0.2.10").
// An IPv4-mapped IPv6 address becomes its IPv4 address, because a database written without
// MaxMind's ::ffff:0:0/96 alias (DB-IP's, ours in tests) would not find it otherwise.
union socket_address {
  sockaddr base;
  sockaddr_in v4;
  sockaddr_in6 v6;
};

bool parse_address(std::string_view text, socket_address& out) {
  std::array<char, INET6_ADDRSTRLEN> z{};  // inet_pton wants a NUL-terminated string
  if (text.empty() || text.size() >= z.size()) return false;
  std::memcpy(z.data(), text.data(), text.size());
  out = {};
  if (text.find(':') == std::string_view::npos) {
    out.v4.sin_family = AF_INET;
    return inet_pton(AF_INET, z.data(), &out.v4.sin_addr) == 1;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, z.data(), &a6) != 1) return false;
  if (IN6_IS_ADDR_V4MAPPED(&a6)) {
    out.v4.sin_family = AF_INET;
    std::memcpy(&out.v4.sin_addr, &a6.s6_addr[12], 4);
  } else {
    out.v6.sin6_family = AF_INET6;
    out.v6.sin6_addr = a6;
  }
  return true;
}

// The record of `address` in `db`, or nullopt when the database has none (or cannot answer:
// an IPv6 address in an IPv4-only database).
std::optional<MMDB_entry_s> find(const MMDB_s& db, const sockaddr& address) {
  int mmdb_error = MMDB_SUCCESS;
  MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&db, &address, &mmdb_error);
  if (mmdb_error != MMDB_SUCCESS || !r.found_entry) return std::nullopt;
  return r.entry;
}

// A value at `path` (a NULL-terminated list of map keys and array indexes) of a record; absent
// when the record has no such key or holds another type there.
std::optional<MMDB_entry_data_s> value_at(MMDB_entry_s entry, const char* const* path) {
  MMDB_entry_data_s data{};
  if (MMDB_aget_value(&entry, &data, path) != MMDB_SUCCESS || !data.has_data) return std::nullopt;
  return data;
}

std::optional<std::string> text_at(const MMDB_entry_s& entry, const char* const* path) {
  const auto data = value_at(entry, path);
  if (!data || data->type != MMDB_DATA_TYPE_UTF8_STRING || data->data_size == 0) return std::nullopt;
  return std::string(data->utf8_string, data->data_size);
}

std::optional<std::int64_t> number_at(const MMDB_entry_s& entry, const char* const* path) {
  const auto data = value_at(entry, path);
  if (!data) return std::nullopt;
  switch (data->type) {
    case MMDB_DATA_TYPE_UINT16:
      return data->uint16;
    case MMDB_DATA_TYPE_UINT32:
      return data->uint32;
    case MMDB_DATA_TYPE_INT32:
      return data->int32;
    case MMDB_DATA_TYPE_UINT64:
      if (data->uint64 <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(data->uint64);
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// The paths of GeoLite2-City and GeoLite2-ASN, which DB-IP's Lite databases share.
constexpr const char* country_path[] = {"country", "iso_code", nullptr};
constexpr const char* registered_country_path[] = {"registered_country", "iso_code", nullptr};
constexpr const char* region_path[] = {"subdivisions", "0", "names", "en", nullptr};
constexpr const char* city_path[] = {"city", "names", "en", nullptr};
constexpr const char* asn_path[] = {"autonomous_system_number", nullptr};
constexpr const char* asn_org_path[] = {"autonomous_system_organization", nullptr};

}  // namespace

void geo_databases::closer::operator()(MMDB_s* db) const noexcept {
  MMDB_close(db);
  delete db;  // NOLINT: made by make_unique in open_one, released into the handle
}

base::result<geo_databases> geo_databases::open(const std::string& city_db_path,
                                                const std::string& asn_db_path) {
  geo_databases out;
  if (!city_db_path.empty()) {
    auto db = open_one(city_kind, city_db_path);
    if (!db) return std::move(db).err();
    out.city_.reset(db->release());
  }
  if (!asn_db_path.empty()) {
    auto db = open_one(asn_kind, asn_db_path);
    if (!db) return std::move(db).err();
    out.asn_.reset(db->release());
  }
  return out;
}

geo_fields geo_databases::lookup(std::string_view ip) const {
  geo_fields out;
  socket_address address{};
  if (!configured() || !parse_address(ip, address)) return out;
  if (city_) {
    if (const auto e = find(*city_, address.base)) {
      // The country the network is in; for the few networks MaxMind cannot place (anycast,
      // satellite), the country it is registered in, the best answer the database has.
      out.country = text_at(*e, country_path);
      if (!out.country) out.country = text_at(*e, registered_country_path);
      out.region = text_at(*e, region_path);
      out.city = text_at(*e, city_path);
    }
  }
  if (asn_) {
    if (const auto e = find(*asn_, address.base)) {
      // An AS number is 32 bits; anything else in a damaged database is no number at all.
      out.asn = number_at(*e, asn_path);
      if (out.asn && (*out.asn < 0 || *out.asn > 4'294'967'295)) out.asn.reset();
      out.asn_org = text_at(*e, asn_org_path);
    }
  }
  return out;
}

}  // namespace clicktrail::enrich
