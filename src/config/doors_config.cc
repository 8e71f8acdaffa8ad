// The settings of ingest's other doors (Snowplow's, Segment's), of clicktrail's own id cookie,
// and the ingest path aliases: read from the checked raw values into the validated config, with
// the rules that span keys.

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>

#include "config/raw_values.h"
#include "config/units.h"

namespace clicktrail::config {

// Snowplow app ids and Segment write keys name one site each: a key two sites list would send
// one site's events to the other.
void check_foreign_keys(const std::vector<site_config>& sites, problems& found) {
  std::map<std::string, std::string, std::less<>> app_ids, write_keys;  // → the site listing it
  for (const auto& site : sites) {
    const auto claim = [&](std::map<std::string, std::string, std::less<>>& owners, const std::string& key,
                           std::string_view what) {
      if (key.empty() || key.size() > 256) {
        found.push_back(fmt::format("site \"{}\": a {} must be 1–256 characters", site.key, what));
        return;
      }
      const auto [at, added] = owners.emplace(key, site.key);
      if (!added && at->second != site.key) {
        found.push_back(fmt::format("{} \"{}\" is listed by sites \"{}\" and \"{}\"; give it to one of them",
                                    what, key, at->second, site.key));
      }
    };
    for (const auto& id : site.snowplow_app_ids) claim(app_ids, id, "snowplow app id");
    for (const auto& key : site.segment_write_keys) claim(write_keys, key, "segment write key");
  }
  // A site without app ids answers to its key: it must not be another site's app id.
  for (const auto& site : sites) {
    const auto other = app_ids.find(site.key);
    if (site.snowplow_app_ids.empty() && other != app_ids.end() && other->second != site.key) {
      found.push_back(fmt::format(
          "site \"{}\" has no snowplow_app_ids, so its key is its app id, but site \"{}\" lists that app "
          "id; list the app ids of both sites",
          site.key, other->second));
    }
  }
}

namespace {

// An ingest path alias: absolute, plain characters, no query.
bool valid_path(std::string_view path) {
  if (path.size() < 2 || path.size() > 256 || path.front() != '/') return false;
  return std::all_of(path.begin(), path.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '-' || c == '_' || c == '.' ||
           c == '~';
  });
}

// RFC 6265's cookie-name is a token; keep to the characters every browser takes.
void check_cookie_name(const raw_config& raw, const std::string& name, std::string_view setting,
                       problems& found) {
  const bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  if (!ok) {
    found.push_back(fmt::format("{}: {} = \"{}\" must be 1–64 letters, digits, '_', '-' or '.'",
                                origin_of(raw, setting), setting, name));
  }
}

// A cookie's Domain, lower-cased, without a leading '.'.
std::string cookie_domain(const raw_config& raw, std::string d, std::string_view setting, problems& found) {
  while (!d.empty() && d.front() == '.') d.erase(0, 1);
  for (char& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool ok = !d.empty() && d.size() <= 253 && std::all_of(d.begin(), d.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
  if (!ok) {
    found.push_back(fmt::format("{}: {} entry \"{}\" must be a domain name such as example.com",
                                origin_of(raw, setting), setting, d));
  }
  return d;
}

std::chrono::seconds seconds_of(const raw_config& raw, std::string_view setting) {
  return std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::milliseconds(get<std::int64_t>(raw, setting)));
}

}  // namespace

// Snowplow's and Segment's doors, clicktrail's own cookie and path aliases.
void validate_doors(const raw_config& raw, config& out, problems& found) {
  snowplow_config& sp = out.snowplow;
  sp.enabled = get<bool>(raw, "snowplow.enabled");
  sp.paths = get<std::vector<std::string>>(raw, "snowplow.paths");
  for (const auto& p : sp.paths) {
    if (!valid_path(p)) {
      found.push_back(
          fmt::format("{}: snowplow.paths entry \"{}\" must start with '/' and hold only letters, "
                      "digits and - _ . ~ /, at most 256",
                      origin_of(raw, "snowplow.paths"), p));
    }
  }
  sp.cookie = get<bool>(raw, "snowplow.cookie");
  sp.cookie_name = get<std::string>(raw, "snowplow.cookie_name");
  check_cookie_name(raw, sp.cookie_name, "snowplow.cookie_name", found);
  sp.cookie_lifetime = seconds_of(raw, "snowplow.cookie_lifetime");
  for (const auto& d : get<std::vector<std::string>>(raw, "snowplow.cookie_domains"))
    sp.cookie_domains.push_back(cookie_domain(raw, d, "snowplow.cookie_domains", found));
  if (const auto fallback = string_or_empty(raw, "snowplow.cookie_fallback_domain"); !fallback.empty())
    sp.cookie_fallback_domain = cookie_domain(raw, fallback, "snowplow.cookie_fallback_domain", found);

  identity_config& id = out.identity;
  id.cookie = get<bool>(raw, "identity.cookie");
  id.cookie_name = get<std::string>(raw, "identity.cookie_name");
  check_cookie_name(raw, id.cookie_name, "identity.cookie_name", found);
  id.cookie_lifetime = seconds_of(raw, "identity.cookie_lifetime");
  for (const auto& d : get<std::vector<std::string>>(raw, "identity.cookie_domains"))
    id.cookie_domains.push_back(cookie_domain(raw, d, "identity.cookie_domains", found));
  id.same_site = get<std::string>(raw, "identity.same_site");

  for (const auto* setting : {"ingest.events_paths", "ingest.pixel_paths"}) {
    for (const auto& p : get<std::vector<std::string>>(raw, setting)) {
      if (!valid_path(p)) {
        found.push_back(
            fmt::format("{}: {} entry \"{}\" must start with '/' and hold only letters, digits and "
                        "- _ . ~ /, at most 256",
                        origin_of(raw, setting), setting, p));
      }
    }
  }
  out.ingest.events_paths = get<std::vector<std::string>>(raw, "ingest.events_paths");
  out.ingest.pixel_paths = get<std::vector<std::string>>(raw, "ingest.pixel_paths");
  out.http.tracker_path = get<std::string>(raw, "http.tracker_path");
  if (!valid_path(out.http.tracker_path)) {
    found.push_back(
        fmt::format("{}: http.tracker_path = \"{}\" must start with '/' and hold only letters, "
                    "digits and - _ . ~ /",
                    origin_of(raw, "http.tracker_path"), out.http.tracker_path));
  }

  segment_config& seg = out.segment;
  seg.enabled = get<bool>(raw, "segment.enabled");
  seg.prefixes.clear();
  for (std::string prefix : get<std::vector<std::string>>(raw, "segment.prefixes")) {
    while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
    if (!valid_path(prefix)) {
      found.push_back(
          fmt::format("{}: segment.prefixes entry \"{}\" must start with '/' and hold only letters, "
                      "digits and - _ . ~ /, e.g. \"/v1\"",
                      origin_of(raw, "segment.prefixes"), prefix));
    }
    seg.prefixes.push_back(std::move(prefix));
  }
  seg.max_message_bytes = get<std::int64_t>(raw, "segment.max_message_bytes");
  seg.max_batch_bytes = get<std::int64_t>(raw, "segment.max_batch_bytes");
  if (seg.max_message_bytes > seg.max_batch_bytes) {
    found.push_back(
        fmt::format("segment.max_message_bytes ({}) is larger than segment.max_batch_bytes ({}); "
                    "lower it or raise max_batch_bytes",
                    format_size(seg.max_message_bytes), format_size(seg.max_batch_bytes)));
  }
}

}  // namespace clicktrail::config
