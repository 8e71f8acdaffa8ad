#pragma once
// The validated configuration: what every module receives instead of raw TOML (STYLE.md rule 3).
// load_config() reads every source, checks each key against the settings table, then applies
// the rules that span keys. A `config` that exists is valid; no module re-checks it.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "config/sources.h"

namespace clicktrail::config {

struct log_config {
  std::string level;
};

struct endpoint {
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;
  std::string to_string() const;  // "host:port" or "[v6]:port"
};

struct http_config {
  endpoint listen;
  std::optional<endpoint> admin_listen;  // the operator routes' own listener; absent: none
  std::string admin_token;               // opens the operator routes on http.listen; empty: none
  std::int64_t inspect_max_streams = 0;
  std::chrono::milliseconds inspect_stream_timeout{0};
  std::string tracker_path;  // `clicktrail run` serves the tracker here
  int threads = 0;           // resolved: never 0 here
  std::chrono::milliseconds read_timeout{0};
  std::chrono::milliseconds idle_timeout{0};
  std::int64_t max_connections = 0;
};

// An address range in CIDR form; a plain address is a /32 or /128.
struct cidr {
  std::array<std::uint8_t, 16> address{};  // IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d)
  int prefix_bits = 128;                   // over the 128-bit form
  bool contains(const std::array<std::uint8_t, 16>& a) const noexcept;
};

// How the collector writes an accepted event: event/binary_record.h, or event/encode.h's JSON.
enum class record_format { binary, json };

struct ingest_config {
  std::vector<std::string> events_paths;  // more paths for POST /v1/events
  std::vector<std::string> pixel_paths;   // more paths for GET /v1/p.gif
  std::int64_t max_body = 0;
  std::int64_t max_events = 0;
  std::int64_t max_event_bytes = 0;
  std::chrono::milliseconds produce_timeout{0};
  record_format records = record_format::binary;
  bool anonymize_ip = true;
  std::vector<cidr> trusted_proxies;
  // Token buckets (rate a second, burst), docs/ingest-api.md "Limits"; a rate of 0 is no limit.
  std::int64_t client_requests_per_s = 0, client_burst = 0;
  std::int64_t site_requests_per_s = 0, site_burst = 0;
  std::int64_t client_bad_records_per_s = 0, site_bad_records_per_s = 0;
};

struct site_config {
  std::string key;
  std::vector<std::string> origins;  // normalised scheme://host[:port]
  bool any_origin = false;           // "*" was listed
  bool drop_bots = false;
  bool cookieless = false;
  bool pseudonymize_user_id = false;
  std::vector<std::string> private_params;      // besides the built-in list and enrich.private_params
  std::vector<std::string> snowplow_app_ids;    // empty: the key is the one app id
  std::vector<std::string> segment_write_keys;  // empty: no Segment traffic
};

// The first-party id cookie of clicktrail's own tracker (docs/first-party.md).
struct identity_config {
  bool cookie = false;
  std::string cookie_name = "ct_nid";
  std::chrono::seconds cookie_lifetime{400 * 24 * 3600};
  std::vector<std::string> cookie_domains;  // lower case, no leading '.'
  std::string same_site = "Lax";            // Lax, Strict or None
};

// Snowplow's tracker protocol (docs/compat-snowplow.md).
struct snowplow_config {
  bool enabled = true;
  std::vector<std::string> paths;  // more tp2 / pixel paths
  bool cookie = true;
  std::string cookie_name = "sp";
  std::chrono::seconds cookie_lifetime{365 * 24 * 3600};
  std::vector<std::string> cookie_domains;  // lower case, no leading '.'
  std::string cookie_fallback_domain;       // empty: host-only
};

// Segment's HTTP Tracking API (docs/compat-segment.md).
struct segment_config {
  bool enabled = true;
  std::vector<std::string> prefixes = {"/v1"};  // without a trailing '/'
  std::int64_t max_message_bytes = 32 * 1024;
  std::int64_t max_batch_bytes = 500 * 1024;
};

struct enrich_config {
  std::string geoip_db;        // empty: not configured
  std::string asn_db;          // empty: not configured
  std::string ua_rules;        // empty: the built-in uap-core rules
  std::string referrer_rules;  // empty: the built-in referrer list
  std::int64_t ua_cache_entries = 20'000;
  std::string cache_dir;  // enrich.cache_dir as written: compiled_cache::dir_for resolves it
  std::string secret;     // empty unless a site needs it (checked)
  std::vector<std::string> private_params;
};

using property_list = std::vector<std::pair<std::string, std::string>>;

struct kafka_config {
  std::string brokers;
  std::string topic;
  std::string bad_topic;
  property_list producer;  // raw librdkafka properties, applied after ours
  property_list consumer;
};

enum class output_format { parquet, jsonl };
// What the sink keeps at sink.output: Hive-partitioned files, or an Apache Iceberg table of them.
enum class table_kind { files, iceberg };
enum class compression { zstd, snappy, gzip, none };
// The highest level a codec takes (levels start at 1): zstd 19 (past it, "ultra" levels need a
// reader's window of up to 128 MiB), gzip 12 (libdeflate's; format/gzip.h); 0 for a codec without levels.
constexpr int most_compression_level(compression c) noexcept {
  return c == compression::zstd ? 19 : c == compression::gzip ? 12 : 0;
}
enum class time_source { collector_ts, event_ts };

struct output_location {
  enum class kind { local, s3 } where = kind::local;
  std::string path;    // local: the directory
  std::string bucket;  // s3
  std::string prefix;  // s3: no leading or trailing '/'
};

struct sink_config {
  std::string output_text;  // as configured, for messages
  output_location output;
  output_format format = output_format::parquet;
  table_kind table = table_kind::files;
  config::compression codec = compression::zstd;
  int compression_level = 0;  // 0: the codec's default
  time_source partition_by = time_source::collector_ts;
  std::string layout;
  std::int64_t max_records = 0;
  std::int64_t max_bytes = 0;
  std::chrono::milliseconds max_age{0};
  std::int64_t max_open_files = 0;
  std::int64_t dedup_window = 0;
  int threads = 0;  // resolved: never 0 here
  std::int64_t max_buffered_bytes = 0;
  std::int64_t row_group_rows = 0;
  std::int64_t row_group_bytes = 0;
  std::optional<endpoint> listen;  // clicktrail sink's operations routes; absent: none
  std::string group_id;
  // sink.glue_table: an AWS Glue table kept pointing at the Iceberg table, for Athena; empty
  // database: none. Its region is s3.region.
  struct glue_pointer {
    std::string database, table, endpoint, region;
  } glue{};
  std::chrono::milliseconds compact_every{0};  // 0: no background compaction
  // sink.catalog_*: an Iceberg REST catalog that keeps the table's versions; empty uri: none.
  struct rest_catalog {
    std::string uri, ns, table, warehouse, token;
  } catalog{};
};

struct s3_config {
  std::string region;
  std::optional<std::string> endpoint;
  bool path_style = false;
};

struct wal_config {
  std::string dir;
  std::int64_t segment_bytes = 0;
  std::chrono::milliseconds retention{0};
};

struct config {
  log_config log;
  http_config http;
  ingest_config ingest;
  std::vector<site_config> sites;
  identity_config identity;
  snowplow_config snowplow;
  segment_config segment;
  enrich_config enrich;
  std::optional<kafka_config> kafka;  // absent: the embedded log
  sink_config sink;
  s3_config s3;
  wal_config wal;  // `clicktrail run` without [kafka]
};

// Every problem found, one per line, in the error's message.
base::result<config> load_config(const load_options& options);

// "10.0.0.0/8", "192.168.1.7", "2001:db8::/32" → the range; nullopt when malformed.
std::optional<cidr> parse_cidr(std::string_view text);

}  // namespace clicktrail::config
