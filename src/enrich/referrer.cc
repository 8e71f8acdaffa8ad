#include "enrich/referrer.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>

#include "base/text.h"
#include "enrich/url.h"

namespace clicktrail::enrich {
namespace {

constexpr std::size_t max_term_bytes = 256;
constexpr std::size_t max_listed_path = 256;  // longer referrer paths are looked up by host only

constexpr std::array<std::string_view, 5> list_media = {"search", "social", "email", "paid", "unknown"};

struct click_id {
  std::string_view name;
  bool paid;
};
constexpr click_id click_ids[] = {
    {"gclid", true},     {"gbraid", true},  {"wbraid", true},  {"dclid", true},
    {"msclkid", true},   {"fbclid", false}, {"ttclid", true},  {"twclid", true},
    {"li_fat_id", true}, {"ScCid", true},   {"rdt_cid", true}, {"yclid", true},
};

constexpr std::string_view paid_media[] = {"cpc",         "ppc",         "cpm",         "cpv",
                                           "cpa",         "cpl",         "display",     "banner",
                                           "retargeting", "remarketing", "interstitial"};

// The second-level labels of "name.*" (referrer.h).
constexpr std::string_view second_levels[] = {"co", "com", "net", "org", "ac",  "gov", "edu",
                                              "ne", "or",  "go",  "gob", "nic", "mil"};

bool is_paid_medium(std::string_view medium) {
  medium = base::trim(medium);
  if (medium.size() >= 4 && base::iequals(medium.substr(0, 4), "paid")) return true;
  return std::any_of(std::begin(paid_media), std::end(paid_media),
                     [&](std::string_view m) { return base::iequals(m, medium); });
}

// The first click id in the page's query and whether it means paid.
const click_id* find_click_id(const url_parts& page) {
  std::string_view query = page.query;
  query_parameter p;
  while (next_query_parameter(query, p)) {
    if (p.value.empty()) continue;
    for (const click_id& id : click_ids) {
      if (base::iequals(id.name, p.name)) return &id;
    }
  }
  return nullptr;
}

std::string_view without_www(std::string_view host) {
  return host.starts_with("www.") ? host.substr(4) : host;
}

referrer_fields fields_of(std::string medium, std::optional<std::string> source = std::nullopt) {
  referrer_fields f;
  f.medium = std::move(medium);
  f.source = std::move(source);
  return f;
}

}  // namespace

base::result<referrer_classifier> referrer_classifier::compile(std::string_view referrers_json,
                                                               std::string_view origin) {
  const auto bad = [&](std::string_view what) {
    return base::error::fail(
        fmt::format("{}: not a referrer list: {}; expected Snowplow referer-parser's JSON shape, "
                    "{{\"search\": {{\"Google\": {{\"domains\": [\"google.com\"], \"parameters\": "
                    "[\"q\"]}}}}}}: fix the file "
                    "or point the setting at another",
                    origin, what));
  };
  simdjson::dom::parser parser;
  simdjson::dom::object media;
  if (const auto error = parser.parse(simdjson::padded_string(referrers_json)).get_object().get(media)) {
    return bad(simdjson::error_message(error));
  }

  referrer_classifier classifier;
  for (const auto [medium, sources] : media) {
    if (std::find(list_media.begin(), list_media.end(), medium) == list_media.end()) {
      return bad(fmt::format("medium \"{}\" is not one of search, social, email, paid, unknown", medium));
    }
    simdjson::dom::object by_name;
    if (sources.get_object().get(by_name) != simdjson::SUCCESS) {
      return bad(fmt::format("\"{}\" is not an object of sources", medium));
    }
    for (const auto [name, entry] : by_name) {
      const std::string where = fmt::format("{}/{}", medium, name);
      source s{std::string(medium), std::string(name), {}};
      simdjson::dom::array parameters;
      if (const auto error = entry["parameters"].get_array().get(parameters)) {
        if (error != simdjson::NO_SUCH_FIELD) return bad(where + ": \"parameters\" is not an array");
      } else {
        for (const simdjson::dom::element p : parameters) {
          std::string_view parameter;
          if (p.get_string().get(parameter) != simdjson::SUCCESS || parameter.empty()) {
            return bad(where + ": a parameter is not a non-empty string");
          }
          s.parameters.emplace_back(parameter);
        }
      }
      simdjson::dom::array domains;
      if (entry["domains"].get_array().get(domains) != simdjson::SUCCESS) {
        return bad(where + ": \"domains\" is missing or not an array");
      }
      const std::size_t index = classifier.sources_.size();
      for (const simdjson::dom::element d : domains) {
        std::string_view raw;
        if (d.get_string().get(raw) != simdjson::SUCCESS || raw.empty()) {
          return bad(where + ": a domain is not a non-empty string");
        }
        std::string domain(raw);
        std::transform(domain.begin(), domain.end(), domain.begin(),
                       [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; });
        const std::size_t star = domain.find('*');
        if (star != std::string::npos) {
          if (star + 1 != domain.size() || star < 2 || domain[star - 1] != '.' ||
              domain.find('/') != std::string::npos) {
            return bad(
                fmt::format("{}: domain \"{}\": '*' may only end one, as in \"google.*\"", where, raw));
          }
          classifier.wildcards_.emplace(domain.substr(0, star - 1), index);
        } else {
          classifier.has_paths_ = classifier.has_paths_ || domain.find('/') != std::string::npos;
          classifier.domains_.emplace(std::move(domain), index);  // the first entry keeps a domain
        }
        ++classifier.domain_count_;
      }
      classifier.sources_.push_back(std::move(s));
    }
  }
  return classifier;
}

// Snowplow's order: with the path (full, then first segment) for the host and each parent, then
// the host alone and each parent; our "name.*" entries are asked beside the bare host.
const referrer_classifier::source* referrer_classifier::lookup(std::string_view host,
                                                               std::string_view path) const {
  const auto find = [&](std::string_view key) -> const source* {
    const auto it = domains_.find(key);
    return it == domains_.end() ? nullptr : &sources_[it->second];
  };
  const auto parents = [&](auto&& visit) -> const source* {
    for (std::string_view domain = host;;) {
      if (const source* s = visit(domain)) return s;
      const std::size_t dot = domain.find('.');
      if (dot == std::string_view::npos) return nullptr;
      domain.remove_prefix(dot + 1);
    }
  };
  // A path longer than any listed one cannot match in full; the bound keeps the work linear.
  if (has_paths_ && path.size() > 1 && path.size() <= max_listed_path) {
    const std::string_view first_segment = path.substr(0, path.find('/', 1));
    std::string key;
    const source* s = parents([&](std::string_view domain) -> const source* {
      key.assign(domain).append(path);
      if (const source* found = find(key)) return found;
      key.resize(domain.size());
      key.append(first_segment);
      return find(key);
    });
    if (s) return s;
  }
  return parents([&](std::string_view domain) -> const source* {
    if (const source* s = find(domain)) return s;
    return lookup_wildcard(domain);
  });
}

// "name.*": `domain` is name + "." + a country-code-like suffix (referrer.h).
const referrer_classifier::source* referrer_classifier::lookup_wildcard(std::string_view domain) const {
  if (wildcards_.empty()) return nullptr;
  const std::size_t last = domain.rfind('.');
  if (last == std::string_view::npos || last == 0) return nullptr;
  if (const auto it = wildcards_.find(domain.substr(0, last)); it != wildcards_.end())
    return &sources_[it->second];
  const std::size_t second = domain.rfind('.', last - 1);
  if (second == std::string_view::npos || second == 0) return nullptr;
  const std::string_view label = domain.substr(second + 1, last - second - 1);
  if (std::find(std::begin(second_levels), std::end(second_levels), label) == std::end(second_levels)) {
    return nullptr;
  }
  const auto it = wildcards_.find(domain.substr(0, second));
  return it == wildcards_.end() ? nullptr : &sources_[it->second];
}

referrer_fields referrer_classifier::classify(const std::optional<std::string>& referrer,
                                              const std::optional<std::string>& page_url,
                                              const std::optional<std::string>& utm_medium) const {
  return classify(referrer ? origin_of(*referrer) : referrer_origin{},
                  page_url ? landing_page_of(*page_url) : landing_page{}, utm_medium);
}

referrer_fields referrer_classifier::classify(const referrer_origin& from, const landing_page& page,
                                              const std::optional<std::string>& utm_medium) const {
  referrer_fields fields = arrival(from, page, utm_medium);
  if (!page.click_id_kind.empty()) fields.click_id_kind = std::string(page.click_id_kind);
  return fields;
}

landing_page referrer_classifier::landing_page_of(std::string_view page_url) const {
  landing_page page;
  const std::optional<url_parts> url = parse_url(page_url);
  if (!url) return page;
  page.host = std::string(without_www(url->host));
  if (const click_id* id = find_click_id(*url)) {
    page.click_id_kind = id->name;
    page.paid_click = id->paid;
  }
  return page;
}

referrer_origin referrer_classifier::origin_of(std::string_view referrer) const {
  referrer_origin origin;
  if (base::trim(referrer).empty()) return origin;
  origin.blank = false;
  if (const std::optional<url_parts> url = parse_url(referrer)) {
    origin.host = std::string(without_www(url->host));
    origin.listed = describe(*url);
  }
  return origin;
}

// Rules 1-5 of referrer.h, without the click id's name.
referrer_fields referrer_classifier::arrival(const referrer_origin& from, const landing_page& page,
                                             const std::optional<std::string>& utm_medium) const {
  const bool paid = page.paid_click || (utm_medium && is_paid_medium(*utm_medium));
  if (!paid && from.blank) return {};  // direct

  const bool internal = from.host && page.host && *page.host == *from.host;
  if (paid) {
    referrer_fields fields = from.host && !internal ? from.listed : referrer_fields{};
    fields.medium = "paid";
    return fields;
  }
  if (!from.host) return fields_of("unknown");
  if (internal) return fields_of("internal");
  return from.listed;
}

// Rules 4 and 5 of referrer.h: the list's medium, source and term, or unknown with the host.
referrer_fields referrer_classifier::describe(const url_parts& from) const {
  const source* s = lookup(from.host, from.path);
  if (s == nullptr) return fields_of("unknown", from.host);
  referrer_fields fields = fields_of(s->medium, s->name);
  for (const std::string& parameter : s->parameters) {
    if (const auto value = find_query_value(from.query, parameter)) {
      fields.term = decode_query_component(*value, max_term_bytes);
      break;
    }
  }
  return fields;
}

}  // namespace clicktrail::enrich
