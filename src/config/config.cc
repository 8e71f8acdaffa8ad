#include "config/config.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <set>

#include "config/raw_values.h"
#include "config/units.h"

namespace clicktrail::config {
namespace {

bool valid_site_key(std::string_view key) {
  return !key.empty() && key.size() <= 64 && std::ranges::all_of(key, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

// "https://Me.GitHub.io" → "https://me.github.io"; nullopt when it is not scheme://host[:port].
std::optional<std::string> normalise_origin(std::string_view text) {
  std::string out;
  for (char c : text) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  const auto scheme_end = out.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  const std::string_view scheme(out.data(), scheme_end);
  if (scheme != "http" && scheme != "https") return std::nullopt;
  const std::string_view authority = std::string_view(out).substr(scheme_end + 3);
  if (authority.empty() || authority.find_first_of("/?#@ ") != std::string_view::npos) return std::nullopt;
  return out;
}

bool valid_topic(std::string_view topic) {
  return !topic.empty() && topic.size() <= 249 && topic != "." && topic != ".." &&
         std::ranges::all_of(topic, [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
         });
}

// A bearer token shorter than this is guessable.
constexpr std::size_t min_admin_token_bytes = 24;

void validate_http(const raw_config& raw, config& out, problems& found) {
  const auto& listen = get<std::string>(raw, "http.listen");
  if (auto ep = parse_endpoint(listen)) {
    out.http.listen = *ep;
  } else {
    found.push_back(
        fmt::format("{}: http.listen = \"{}\" must be host:port, e.g. \"127.0.0.1:8080\" or \"[::1]:8080\"",
                    origin_of(raw, "http.listen"), listen));
  }
  if (const auto admin = string_or_empty(raw, "http.admin_listen"); !admin.empty()) {
    if (auto ep = parse_endpoint(admin)) {
      out.http.admin_listen = *ep;
    } else {
      found.push_back(fmt::format(
          "{}: http.admin_listen = \"{}\" must be host:port, e.g. \"127.0.0.1:9090\", or \"\" for none",
          origin_of(raw, "http.admin_listen"), admin));
    }
  }
  out.http.admin_token = string_or_empty(raw, "http.admin_token");
  if (!out.http.admin_token.empty() && out.http.admin_token.size() < min_admin_token_bytes) {
    found.push_back(
        fmt::format("{}: http.admin_token is {} characters; it must be at least {}: set it "
                    "(CLICKTRAIL_HTTP_ADMIN_TOKEN) to "
                    "the output of `openssl rand -hex 24`",
                    origin_of(raw, "http.admin_token"), out.http.admin_token.size(), min_admin_token_bytes));
  }
  out.http.inspect_max_streams = get<std::int64_t>(raw, "http.inspect_max_streams");
  out.http.inspect_stream_timeout =
      std::chrono::milliseconds(get<std::int64_t>(raw, "http.inspect_stream_timeout"));
  out.http.read_timeout = std::chrono::milliseconds(get<std::int64_t>(raw, "http.read_timeout"));
  out.http.idle_timeout = std::chrono::milliseconds(get<std::int64_t>(raw, "http.idle_timeout"));
  out.http.max_connections = get<std::int64_t>(raw, "http.max_connections");
  out.http.threads = threads_setting(raw, "http.threads");
}

void validate_ingest(const raw_config& raw, config& out, problems& found) {
  auto& in = out.ingest;
  in.max_body = get<std::int64_t>(raw, "ingest.max_body");
  in.max_events = get<std::int64_t>(raw, "ingest.max_events");
  in.max_event_bytes = get<std::int64_t>(raw, "ingest.max_event_bytes");
  in.produce_timeout = std::chrono::milliseconds(get<std::int64_t>(raw, "ingest.produce_timeout"));
  static constexpr std::pair<std::string_view, record_format> record_formats[] = {
      {"binary", record_format::binary}, {"json", record_format::json}};
  in.records = pick(get<std::string>(raw, "ingest.record_format"), record_formats);
  in.anonymize_ip = get<bool>(raw, "ingest.anonymize_ip");
  in.client_requests_per_s = get<std::int64_t>(raw, "ingest.client_requests_per_s");
  in.client_burst = get<std::int64_t>(raw, "ingest.client_burst");
  in.site_requests_per_s = get<std::int64_t>(raw, "ingest.site_requests_per_s");
  in.site_burst = get<std::int64_t>(raw, "ingest.site_burst");
  in.client_bad_records_per_s = get<std::int64_t>(raw, "ingest.client_bad_records_per_s");
  in.site_bad_records_per_s = get<std::int64_t>(raw, "ingest.site_bad_records_per_s");
  for (const auto& text : get<std::vector<std::string>>(raw, "ingest.trusted_proxies")) {
    if (auto range = parse_cidr(text)) {
      in.trusted_proxies.push_back(*range);
    } else {
      found.push_back(
          fmt::format("{}: ingest.trusted_proxies entry \"{}\" must be an address or a CIDR range, "
                      "e.g. \"10.0.0.0/8\" or \"2001:db8::/32\"",
                      origin_of(raw, "ingest.trusted_proxies"), text));
    }
  }
  if (in.max_event_bytes > in.max_body) {
    found.push_back(fmt::format(
        "ingest.max_event_bytes ({}) is larger than ingest.max_body ({}); lower it or raise max_body",
        format_size(in.max_event_bytes), format_size(in.max_body)));
  }
}

void validate_sites(const raw_config& raw, config& out, problems& found) {
  std::set<std::string, std::less<>> seen;
  for (size_t i = 0; i < raw.sites.size(); ++i) {
    const auto& site = raw.sites[i];
    site_config parsed;
    const auto key = site.find("key");
    if (key == site.end()) {
      found.push_back(
          fmt::format("sites[{}]: a [[sites]] table needs key = \"…\", the site key the tracker sends", i));
      continue;
    }
    parsed.key = std::get<std::string>(key->second.v);
    if (!valid_site_key(parsed.key)) {
      found.push_back(fmt::format("{}: sites.key = \"{}\" must be 1–64 letters, digits, '.', '_' or '-'",
                                  key->second.origin, parsed.key));
    } else if (!seen.insert(parsed.key).second) {
      found.push_back(fmt::format("{}: site key \"{}\" is listed twice; give each site its own key",
                                  key->second.origin, parsed.key));
    }
    if (const auto origins = site.find("origins"); origins != site.end()) {
      for (const auto& o : std::get<std::vector<std::string>>(origins->second.v)) {
        if (o == "*") {
          parsed.any_origin = true;
        } else if (auto n = normalise_origin(o)) {
          parsed.origins.push_back(*n);
        } else {
          found.push_back(
              fmt::format("{}: origin \"{}\" of site \"{}\" must be scheme://host[:port] "
                          "(http or https, no path), or \"*\" for any origin",
                          origins->second.origin, o, parsed.key));
        }
      }
    }
    const auto flag = [&site](std::string_view name) {
      const auto v = site.find(name);
      return v != site.end() && std::get<bool>(v->second.v);
    };
    parsed.drop_bots = flag("drop_bots");
    parsed.cookieless = flag("cookieless");
    parsed.pseudonymize_user_id = flag("pseudonymize_user_id");
    const auto list = [&site](std::string_view name) {
      const auto v = site.find(name);
      return v == site.end() ? std::vector<std::string>{} : std::get<std::vector<std::string>>(v->second.v);
    };
    parsed.private_params = list("private_params");
    parsed.snowplow_app_ids = list("snowplow_app_ids");
    parsed.segment_write_keys = list("segment_write_keys");
    out.sites.push_back(std::move(parsed));
  }
  check_foreign_keys(out.sites, found);
}

// The key of derived ids: long enough that it cannot be guessed, and present whenever a site
// derives ids with it (a missing key would make them a plain, reversible-by-guessing hash).
constexpr std::size_t min_secret_bytes = 32;

void validate_enrich(const raw_config& raw, config& out, problems& found) {
  enrich_config& e = out.enrich;
  e.geoip_db = string_or_empty(raw, "enrich.geoip_db");
  e.asn_db = string_or_empty(raw, "enrich.asn_db");
  e.ua_rules = string_or_empty(raw, "enrich.ua_rules");
  e.referrer_rules = string_or_empty(raw, "enrich.referrer_rules");
  e.ua_cache_entries = get<std::int64_t>(raw, "enrich.ua_cache_entries");
  e.cache_dir = string_or_empty(raw, "enrich.cache_dir");
  e.secret = string_or_empty(raw, "enrich.secret");
  e.private_params = get<std::vector<std::string>>(raw, "enrich.private_params");
  // Only the collectors derive ids, so only they insist on a secret (collector_enricher::open);
  // here a secret that is set must be long enough.
  if (!e.secret.empty() && e.secret.size() < min_secret_bytes) {
    found.push_back(
        fmt::format("{}: enrich.secret is {} characters; it must be at least {}: set it "
                    "(CLICKTRAIL_ENRICH_SECRET) to the "
                    "output of `openssl rand -hex 32`, the same on every collector",
                    origin_of(raw, "enrich.secret"), e.secret.size(), min_secret_bytes));
  }
}

void validate_kafka(const raw_config& raw, config& out, problems& found) {
  if (!raw.sections.contains("kafka")) return;
  kafka_config k;
  if (const auto b = raw.values.find("kafka.brokers"); b != raw.values.end()) {
    k.brokers = std::get<std::string>(b->second.v);
  }
  if (k.brokers.empty()) {
    found.push_back(
        "kafka.brokers is missing: set brokers = \"host:port[,host:port]\" under [kafka] "
        "(or CLICKTRAIL_KAFKA_BROKERS), or remove [kafka] to use the embedded log");
  }
  k.topic = get<std::string>(raw, "kafka.topic");
  k.bad_topic = get<std::string>(raw, "kafka.bad_topic");
  for (const char* name : {"kafka.topic", "kafka.bad_topic"}) {
    const auto& topic = get<std::string>(raw, name);
    if (!valid_topic(topic)) {
      found.push_back(fmt::format(
          "{}: {} = \"{}\" is not a valid Kafka topic name: use 1–249 letters, digits, '.', '_' or '-'",
          origin_of(raw, name), name, topic));
    }
  }
  if (k.topic == k.bad_topic) {
    found.push_back(fmt::format(
        "kafka.topic and kafka.bad_topic are both \"{}\"; rejected input must go to a topic of its own",
        k.topic));
  }
  auto copy = [&](const char* section, property_list& into) {
    if (auto p = raw.passthrough.find(section); p != raw.passthrough.end())
      into.assign(p->second.begin(), p->second.end());
  };
  copy("kafka.producer", k.producer);
  copy("kafka.consumer", k.consumer);
  out.kafka = std::move(k);
}

void validate_s3(const raw_config& raw, config& out, problems& found) {
  out.s3.region = get<std::string>(raw, "s3.region");
  out.s3.path_style = get<bool>(raw, "s3.path_style");
  if (out.s3.region.empty())
    found.push_back(fmt::format("{}: s3.region is empty; e.g. \"us-east-1\"", origin_of(raw, "s3.region")));
  if (const auto e = raw.values.find("s3.endpoint"); e != raw.values.end()) {
    const auto& url = std::get<std::string>(e->second.v);
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
      found.push_back(
          fmt::format("{}: s3.endpoint = \"{}\" must start with http:// or https://", e->second.origin, url));
    }
    out.s3.endpoint = url;
  }
}

}  // namespace

static std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc{} || end != text.data() + text.size() || port > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(port);
}

std::optional<endpoint> parse_endpoint(std::string_view text) {
  endpoint out;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    out.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
    out.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  const auto p = parse_port(port);
  if (out.host.empty() || !p) return std::nullopt;
  out.port = *p;
  return out;
}

std::optional<cidr> parse_cidr(std::string_view text) {
  cidr out;
  const auto slash = text.find('/');
  const std::string address(text.substr(0, slash));
  int max_bits = 128;
  in6_addr v6{};
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    out.address[10] = 0xff;
    out.address[11] = 0xff;
    std::memcpy(&out.address[12], &v4, 4);
    max_bits = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    std::memcpy(out.address.data(), &v6, 16);
  } else {
    return std::nullopt;
  }
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (ec != std::errc{} || end != digits.data() + digits.size() || bits < 0 || bits > max_bits)
      return std::nullopt;
  }
  out.prefix_bits = bits + (128 - max_bits);
  return out;
}

bool cidr::contains(const std::array<std::uint8_t, 16>& a) const noexcept {
  int bits = prefix_bits;
  for (size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : 0xff << (8 - bits));
    if ((a[i] & mask) != (address[i] & mask)) return false;
  }
  return true;
}

std::string endpoint::to_string() const {
  return host.find(':') == std::string::npos ? fmt::format("{}:{}", host, port)
                                             : fmt::format("[{}]:{}", host, port);
}

base::result<config> load_config(const load_options& options) {
  auto raw = read_sources(options);
  if (!raw) return std::move(raw).err();
  config out;
  problems found;
  out.log.level = get<std::string>(*raw, "log.level");
  validate_http(*raw, out, found);
  validate_ingest(*raw, out, found);
  validate_sites(*raw, out, found);
  validate_doors(*raw, out, found);
  validate_enrich(*raw, out, found);
  validate_kafka(*raw, out, found);
  validate_sink(*raw, out, found);
  validate_s3(*raw, out, found);
  out.wal.dir = get<std::string>(*raw, "wal.dir");
  if (out.wal.dir.empty())
    found.push_back(fmt::format("{}: wal.dir is empty; name a directory", origin_of(*raw, "wal.dir")));
  out.wal.segment_bytes = get<std::int64_t>(*raw, "wal.segment_bytes");
  out.wal.retention = std::chrono::milliseconds(get<std::int64_t>(*raw, "wal.retention"));
  if (!found.empty()) {
    std::string message;
    for (const auto& p : found) message += (message.empty() ? "" : "\n") + p;
    return base::error::fail(std::move(message));
  }
  return out;
}

}  // namespace clicktrail::config
