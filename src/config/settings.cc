// The one table of every setting. Add a key here, read it in config.cc; docs follow by themselves
// (`clicktrail config docs`, and docs/configuration.md, which a test keeps equal to it).

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "config/setting.h"

namespace clicktrail::config {
namespace {

using enum setting_type;

constexpr std::int64_t KiB = 1024;
constexpr std::int64_t MiB = 1024 * KiB;
constexpr std::int64_t GiB = 1024 * MiB;
constexpr std::int64_t second = 1000;
constexpr std::int64_t minute = 60 * second;
constexpr std::int64_t hour = 60 * minute;
constexpr std::int64_t day = 24 * hour;

constexpr std::array table{
    setting{"log", "level", choice, "info", "How much to log to stderr.", 0, 0,
            "trace|debug|info|warn|error|off"},

    setting{"http", "listen", string, "127.0.0.1:8080",
            "Address the collector listens on, as host:port ([v6]:port for IPv6; port 0 picks a "
            "free one)."},
    setting{"http", "threads", integer, "0", "Threads that serve HTTP; 0 means one per core.", 0, 256},
    setting{"http", "read_timeout", duration, "10s",
            "Time a client has to send a whole request; slower clients are disconnected.", 100, 5 * minute},
    setting{"http", "max_connections", integer, "10000",
            "Open client connections at most; beyond it a new connection is closed at once (counted in "
            "clicktrail_http_connections_refused_total). Keep it under the process's file limit (ulimit -n).",
            1, 1'000'000},
    setting{"http", "idle_timeout", duration, "60s",
            "How long a kept-alive connection may wait for its next request.", 1 * second, 1 * hour},

    setting{
        "http", "admin_listen", string, "",
        "Where the operator routes (/metrics; for `clicktrail run` also /inspect and /inspect/stream) are "
        "served besides http.listen, as host:port: an address only operators reach. \"\" serves them "
        "on http.listen when that is a loopback address, or behind http.admin_token."},
    setting{"http", "admin_token", string, "",
            "A bearer token (24 or more characters: openssl rand -hex 24) that opens the operator routes on "
            "a public http.listen: `Authorization: Bearer TOKEN`, or ?token=TOKEN for the inspector's page. "
            "Prefer the environment (CLICKTRAIL_HTTP_ADMIN_TOKEN) to the file."},
    setting{"http", "inspect_max_streams", integer, "8",
            "`clicktrail run`: open /inspect/stream connections at most; one more is answered 503.", 1, 1024},
    setting{"http", "inspect_stream_timeout", duration, "15m",
            "`clicktrail run`: an /inspect/stream connection is closed after this long (the inspector's page "
            "connects again), so that forgotten tabs do not keep their places.",
            1 * second, 24 * hour},
    setting{"http", "tracker_path", string, "/clicktrail.js",
            "`clicktrail run`: the path the tracker is served at (a name of your own is one a blocker's "
            "list does not have)."},

    setting{"ingest", "events_paths", string_list, "[]",
            "More paths answered as POST /v1/events: past blockers that know clicktrail's paths. Each "
            "starts with '/'."},
    setting{"ingest", "pixel_paths", string_list, "[]", "More paths answered as GET /v1/p.gif."},
    setting{"ingest", "max_body", size, "1MiB", "Largest request body, after gunzip; larger bodies get 413.",
            1 * KiB, 64 * MiB},
    setting{"ingest", "max_events", integer, "500", "Most events in one request; more gets 413.", 1, 100'000},
    setting{"ingest", "max_event_bytes", size, "32KiB",
            "Largest single event; a larger one is rejected (to the bad topic), the rest go on.", 1 * KiB,
            1 * MiB},
    setting{
        "ingest", "produce_timeout", duration, "15s",
        "How long a request waits for its events to be durable before answering 503. Keep it above the "
        "cluster's failover time (Kafka's broker.session.timeout.ms, 9 s by default, plus the election): a "
        "503 while a partition has no leader is answered for records that may still become durable, and the "
        "tracker's retry then stores them twice.",
        100, 5 * minute},
    setting{"ingest", "record_format", choice, "binary",
            "How accepted events are written to the topic (or the embedded log): binary, the compact "
            "form docs/record.proto describes (a third smaller, cheaper to write and to read), or json, "
            "the JSON Lines line, for consumers of the topic that read JSON. The sink reads both.",
            0, 0, "binary|json"},
    setting{"ingest", "anonymize_ip", boolean, "true",
            "Keep only the network part of client addresses (IPv4 /24, IPv6 /48)."},
    setting{"ingest", "trusted_proxies", string_list, "[]",
            "Proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed, e.g. a load "
            "balancer's subnet; from anyone else the header is ignored."},
    setting{
        "ingest", "client_requests_per_s", integer, "100",
        "Ingest requests a second from one client address (after trusted_proxies) on every route; over it, "
        "429 with Retry-After. Loopback clients are not limited (a proxy on this machine). 0: no limit.",
        0, 1'000'000},
    setting{"ingest", "client_burst", integer, "1000",
            "Requests one client may send at once beyond that rate.", 1, 100'000'000},
    setting{"ingest", "site_requests_per_s", integer, "10000",
            "Ingest requests a second for one site, from all its clients; over it, 429. 0: no limit.", 0,
            100'000'000},
    setting{"ingest", "site_burst", integer, "100000", "Requests one site may take at once beyond that rate.",
            1, 1'000'000'000},
    setting{
        "ingest", "client_bad_records_per_s", integer, "20",
        "Records of rejected input (with their raw payload) kept a second from one client address, 50 times "
        "that at once; beyond it they are counted (clicktrail_ingest_bad_records_dropped_total), not kept. "
        "0: no limit.",
        0, 1'000'000},
    setting{"ingest", "site_bad_records_per_s", integer, "1000",
            "The same for one site, from all its clients (unknown sites share one). 0: no limit.", 0,
            100'000'000},

    setting{"sites", "key", string, "",
            "The public site key the tracker sends (?site=, X-Clicktrail-Site, or the body). "
            "Letters, digits, '.', '_' and '-', at most 64."},
    setting{"sites", "origins", string_list, "[]",
            "Origins allowed to send events for this site (CORS), as scheme://host[:port]; "
            "\"*\" allows any origin and must be written out."},
    setting{"sites", "drop_bots", boolean, "false",
            "Drop this site's events from bots (crawlers, spiders, headless browsers) at the sink instead of "
            "storing them with is_bot = true; counted in clicktrail_sink_bot_events_total. Read by the sink: "
            "its configuration must list the site."},
    setting{"sites", "cookieless", boolean, "false",
            "The collector derives anonymous_id and session_id from a keyed hash of a daily salt, the site, "
            "the full client address and the user agent (ids change every day, differ between sites), "
            "replacing any the tracker sent; pair it with the tracker's data-cookieless, which stores "
            "nothing in the browser. Needs enrich.secret."},
    setting{"sites", "pseudonymize_user_id", boolean, "false",
            "Replace user_id with a keyed hash (per site) before the event is stored. Needs enrich.secret."},
    setting{"sites", "private_params", string_list, "[]",
            "More query parameters to remove from this site's page_url, referrer and target_href, besides "
            "the built-in "
            "list and enrich.private_params."},

    setting{"sites", "snowplow_app_ids", string_list, "[]",
            "Snowplow app ids (the trackers' appId, sent as aid) whose events belong to this site; "
            "empty: the site key is its one app id."},
    setting{"sites", "segment_write_keys", string_list, "[]",
            "Segment write keys whose events belong to this site; empty: the site takes no Segment "
            "traffic."},

    setting{"identity", "cookie", boolean, "false",
            "Answer clicktrail's own tracker with a first-party id cookie, set by the collector (HttpOnly), "
            "and store its value as network_id: browsers keep a server-set cookie its whole lifetime where "
            "Safari caps one set by a script at 7 days (docs/first-party.md). Needs the tracker's "
            "data-credentials."},
    setting{"identity", "cookie_name", string, "ct_nid", "Name of the id cookie."},
    setting{"identity", "cookie_lifetime", duration, "400d",
            "How long the cookie lives from its last event (browsers cap it at 400 days).", 1 * second,
            400 * day},
    setting{"identity", "cookie_domains", string_list, "[]",
            "Domains for the cookie, as snowplow.cookie_domains: a collector at c.example.com lists "
            "example.com so that the site's pages share it."},
    setting{"identity", "same_site", choice, "Lax",
            "The cookie's SameSite: Lax for a collector on the site's own domain; None (sent with Secure) "
            "when pages of another site post to it.",
            0, 0, "Lax|Strict|None"},

    setting{"snowplow", "enabled", boolean, "true",
            "Serve Snowplow's tracker protocol: POST /com.snowplowanalytics.snowplow/tp2, GET /i and "
            "/ice.png (docs/compat-snowplow.md)."},
    setting{"snowplow", "paths", string_list, "[]",
            "More paths answered as tp2 (POST) and as its pixel (GET): a tracker's custom postPath, past "
            "blockers. Each starts with '/'."},
    setting{"snowplow", "cookie", boolean, "true",
            "Answer with the network user id cookie, as Snowplow's collector does, and store its value as "
            "network_id; never under SP-Anonymous."},
    setting{"snowplow", "cookie_name", string, "sp", "Name of the network user id cookie."},
    setting{"snowplow", "cookie_lifetime", duration, "365d",
            "How long the cookie lives from its last event (browsers cap it at 400 days).", 1 * second,
            400 * day},
    setting{"snowplow", "cookie_domains", string_list, "[]",
            "Domains for the cookie: the first that the request's Origin host is, or ends in, becomes its "
            "Domain (a collector at c.example.com lists example.com)."},
    setting{"snowplow", "cookie_fallback_domain", string, "",
            "The cookie's Domain when no cookie_domains entry matches; empty: a cookie for the "
            "collector's host alone."},

    setting{"segment", "enabled", boolean, "true",
            "Serve Segment's HTTP Tracking API: POST /v1/track, /page, /screen, /identify, /group, /alias, "
            "/batch, /import and analytics.js's /v1/t, /p, /s, /i, /g, /a, /b (docs/compat-segment.md)."},
    setting{"segment", "prefixes", string_list, "/v1",
            "Path prefixes of the Segment routes (analytics.js's apiHost is host + prefix), each starting "
            "with '/'."},
    setting{"segment", "max_message_bytes", size, "32KiB",
            "Largest Segment message; a larger one is rejected (to the bad topic), as Segment does.", 1 * KiB,
            1 * MiB},
    setting{"segment", "max_batch_bytes", size, "500KiB",
            "Largest Segment request body, after gunzip; larger gets 400, as Segment answers.", 1 * KiB,
            64 * MiB},

    setting{"enrich", "geoip_db", string, "",
            "A MaxMind-format city database (GeoLite2-City.mmdb, dbip-city-lite.mmdb) for geo_country, "
            "geo_region and geo_city, looked up by the collector on the full client address before it is "
            "anonymised. Empty: no geo columns."},
    setting{"enrich", "asn_db", string, "",
            "A MaxMind-format ASN database (GeoLite2-ASN.mmdb, dbip-asn-lite.mmdb) for geo_asn and "
            "geo_asn_org. Empty: none."},
    setting{"enrich", "ua_rules", string, "",
            "A uap-core regexes.yaml to parse user agents with, instead of the built-in uap-core 0.16.0 "
            "(e.g. a newer release's file)."},
    setting{
        "enrich", "referrer_rules", string, "",
        "A referrer list in Snowplow referer-parser's JSON shape (referers.json), instead of the built-in "
        "one; see docs/enrichment.md for what each file's licence allows."},
    setting{"enrich", "cache_dir", string, "",
            "Where the sink keeps its compiled crawler list and user-agent rules between starts, "
            "which saves most of the CPU of a start (docs/enrichment.md). Empty: $XDG_CACHE_HOME/clicktrail, "
            "else $HOME/.cache/clicktrail (no cache when neither is set); \"off\": no cache."},
    setting{"enrich", "ua_cache_entries", integer, "20000",
            "User agents whose parse the sink remembers, per sink (most traffic repeats a few thousand); "
            "about 1.5 KB each.",
            1, 1'000'000},
    setting{
        "enrich", "secret", string, "",
        "The key of cookieless ids and user_id pseudonyms: 32 or more random characters (openssl rand -hex "
        "32), the same on every collector; changing it changes every derived id. Prefer the "
        "environment (CLICKTRAIL_ENRICH_SECRET) to the file."},
    setting{"enrich", "private_params", string_list, "[]",
            "More query parameters to remove from every site's page_url, referrer and target_href, besides "
            "the built-in "
            "list (email, token, password, … see docs/privacy.md)."},

    setting{"kafka", "brokers", string, "",
            "Kafka bootstrap servers, host:port[,host:port…]. Without a [kafka] section "
            "`clicktrail run` uses the embedded log instead."},
    setting{"kafka", "topic", string, "clicktrail.events", "Topic that accepted events go to."},
    setting{"kafka", "bad_topic", string, "clicktrail.bad",
            "Topic that rejected input goes to, with the reason."},

    setting{"sink", "output", string, "./data",
            "Where files go: s3://bucket/prefix, file:///path, or a plain path."},
    setting{"sink", "format", choice, "parquet", "File format of the output.", 0, 0, "parquet|jsonl"},
    setting{
        "sink", "table", choice, "files",
        "files: Hive-partitioned files; iceberg: an Apache Iceberg table of Parquet files, committed "
        "atomically (docs/iceberg.md). Partitioned by the hour, or by the day when sink.layout has no %H.",
        0, 0, "files|iceberg"},
    setting{"sink", "glue_table", string, "",
            "With sink.table = \"iceberg\" on S3: \"database.table\" of an AWS Glue Data Catalog table the "
            "sink keeps pointing at the table's current version (created if missing), so that Athena reads "
            "it (docs/iceberg.md, \"Athena\"). Empty: none."},
    setting{"sink", "glue_endpoint", string, "",
            "The Glue API's address: empty for https://glue.<s3.region>.amazonaws.com; set it for a VPC "
            "endpoint or a local stand-in."},
    setting{"sink", "catalog_uri", string, "",
            "With sink.table = \"iceberg\": the base address of an Iceberg REST catalog (before /v1, e.g. "
            "http://127.0.0.1:8181) that keeps the table's versions and decides its commits, instead of "
            "metadata/v<N>.metadata.json files (docs/iceberg.md, \"A REST catalog\"). Empty: no catalog."},
    setting{"sink", "catalog_table", string, "",
            "With sink.catalog_uri: \"namespace.table\", the table's name in the catalog (created at "
            "sink.output when missing, with its namespace)."},
    setting{"sink", "catalog_warehouse", string, "",
            "With sink.catalog_uri: the warehouse to ask the catalog's /v1/config for. Empty: the catalog's "
            "default."},
    setting{"sink", "catalog_token", string, "",
            "With sink.catalog_uri: a bearer token sent with every request to the catalog (set it in "
            "CLICKTRAIL_SINK_CATALOG_TOKEN rather than in a file). Empty: none."},
    setting{
        "sink", "compact_every", duration, "0s",
        "With sink.table = \"iceberg\": how often the sink compacts the table in the background, as "
        "`clicktrail compact` does with its defaults (closed partitions, files of about 128 MiB, repeated "
        "event ids removed; docs/compaction.md). 0s: never (run `clicktrail compact` on a schedule instead); "
        "otherwise at least 1s.",
        0, 7 * day},
    setting{"sink", "compression", choice, "zstd",
            "Compression codec (Parquet: all four; JSON Lines: gzip or none).", 0, 0,
            "zstd|snappy|gzip|none"},
    setting{"sink", "compression_level", integer, "0",
            "The codec's level: zstd 1 (fastest) to 19, gzip 1 to 12 (1 is ISA-L's: for JSON Lines half "
            "the CPU of 6 for 29% more bytes; 2 to 12 libdeflate's, 10 to 12 its slowest and smallest). "
            "0: the codec's default, zstd 1 and gzip 6. snappy and none have no levels.",
            0, 19},
    setting{"sink", "partition_by", choice, "collector_ts",
            "Which timestamp places an event in a time partition.", 0, 0, "collector_ts|event_ts"},
    setting{"sink", "layout", string, "year=%Y/month=%m/day=%d/hour=%H",
            "Time partition path, with %Y %m %d %H (UTC)."},
    setting{"sink", "max_records", integer, "1000000", "A file closes after this many records.", 1,
            1'000'000'000},
    setting{"sink", "max_bytes", size, "128MiB", "A file closes after this many encoded bytes.", 64 * KiB,
            5 * GiB},
    setting{"sink", "max_age", duration, "5m",
            "A file closes when it has been open this long, so quiet sites still see their data.", 1 * second,
            24 * hour},

    setting{"sink", "dedup_window", integer, "100000",
            "Events per Kafka partition whose event_id the sink remembers: a repeat of one of them (a "
            "tracker resending a batch) is dropped. About 26 bytes an id; 0 turns this off.",
            0, 100'000'000},
    setting{"sink", "max_open_files", integer, "500",
            "Most files open at once in one sink; past it the oldest closes early. Bounds memory.", 1,
            100'000},
    setting{"sink", "threads", integer, "0",
            "Threads that write a sink's partitions side by side, each partition on one at a time; 0 means "
            "one per core. More than the sink's partitions are idle.",
            0, 256},
    setting{"sink", "row_group_rows", integer, "131072",
            "Parquet: a row group closes after this many rows. Larger groups compress better; each open "
            "file holds one in memory.",
            1, 16 * 1024 * 1024},
    setting{
        "sink", "row_group_bytes", size, "64MiB",
        "Parquet: a row group closes once its events add up to this many bytes as stored in the topic (the "
        "JSON line, or the binary record, about a third smaller).",
        64 * KiB, 1 * GiB},
    setting{"sink", "max_buffered_bytes", size, "256MiB",
            "Most bytes the open files may hold in memory together (upload parts being filled, "
            "encoders' buffers); past it the file holding most closes early.",
            1 * MiB, 64 * GiB},
    setting{
        "sink", "listen", string, "127.0.0.1:8081",
        "Where `clicktrail sink` serves /healthz, /readyz and /metrics (host:port); \"\" serves nothing."},
    setting{"sink", "group_id", string, "clicktrail-sink",
            "Kafka consumer group of the sinks; sinks in one group split the partitions."},

    setting{"s3", "region", string, "us-east-1", "Region used to sign S3 requests."},
    setting{"s3", "endpoint", string, "",
            "Endpoint of an S3-compatible server, e.g. http://127.0.0.1:8333; absent for AWS."},
    setting{"s3", "path_style", boolean, "false",
            "Address buckets as endpoint/bucket rather than bucket.endpoint (most non-AWS "
            "servers need this)."},

    setting{"wal", "dir", string, "./data/_clicktrail/wal",
            "`clicktrail run` without [kafka]: the embedded log's directory (--data DIR puts it in "
            "DIR/_clicktrail/wal)."},
    setting{"wal", "segment_bytes", size, "64MiB",
            "The embedded log starts a new segment file past this size.", 64 * KiB, 4 * GiB},
    setting{"wal", "retention", duration, "1h",
            "How long the embedded log keeps segments the sink has written out, before deleting them.", 0,
            30 * 24 * hour},
};

}  // namespace

const char* to_string(setting_type t) noexcept {
  switch (t) {
    case string:
      return "string";
    case integer:
      return "integer";
    case boolean:
      return "boolean";
    case size:
      return "size";
    case duration:
      return "duration";
    case string_list:
      return "list of strings";
    case choice:
      return "choice";
  }
  return "?";
}

std::string setting::name() const {
  return fmt::format("{}.{}", section, key);
}

std::string setting::env_name() const {
  std::string out = "CLICKTRAIL_";
  for (char c : name()) {
    out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

std::span<const setting> all_settings() noexcept {
  return table;
}

const setting* find_setting(std::string_view section, std::string_view key) noexcept {
  const auto it = std::find_if(table.begin(), table.end(),
                               [&](const setting& s) { return s.section == section && s.key == key; });
  return it == table.end() ? nullptr : &*it;
}

}  // namespace clicktrail::config
