#pragma once
// Referrer and campaign: where a page view came from (medium, source, search term), and which ad
// click id its URL carries.
//
// classify() decides, first rule that applies:
//   1. paid: the page URL carries a paid click id (click_id_kind, all but fbclid: Facebook adds
//      fbclid to links in ordinary posts too), or utm_medium (trimmed, ASCII case ignored) is a
//      paid medium: cpc, ppc, cpm, cpv, cpa, cpl, display, banner, retargeting, remarketing,
//      interstitial, or anything starting with "paid" (paid, paidsearch, paid_search, paid-social,
//      paid_social …). source and term as in rules 4-5 for an external referrer; nullopt for none
//      or an internal one.
//   2. direct: no referrer (absent, or only spaces): every field nullopt.
//   3. internal: the referrer's host equals the page URL's host, ASCII case, the port and one
//      leading "www." ignored (www.example.com is example.com; blog.example.com is not).
//      source and term nullopt.
//   4. the list: the longest-matching entry for the referrer's host gives medium and source (the
//      entry's name); term is the first of the entry's parameters, in the list's order, present
//      with a value in the referrer's query, decoded (%XX, '+' as space; at most 256 bytes of
//      UTF-8).
//   5. unknown: source is the referrer's host. A referrer with no host to be found
//      ("android-app:/", "not a url") is unknown with no source.
//
// The list has Snowplow referer-parser's JSON shape, so an operator may load Snowplow's own file:
//   {"search": {"Google": {"domains": ["google.*", …], "parameters": ["q"]}, …}, "social": …}
// Media are search, social, email, paid and unknown. A domain is matched as Snowplow matches it:
// the referrer's host with its full path, then with its first path segment ("icloud.com/mail"),
// each for the host and then for each parent domain (www.google.com → google.com → com); then
// the bare host and its parents (paths up to 256 bytes are tried). Ours adds "name.*" (or "a.name.*"): name
// followed by a country-code-like suffix, one label ("google.de", "google.com") or a well-known second-level
// label and one more ("google.co.uk", "google.com.au"; the second-level labels are co, com, net,
// org, ac, gov, edu, ne, or, go, gob, nic, mil). Where two entries name the same domain, the
// first in the file wins.
//
// Compiled once at start-up, then read-only: classify() may be called from any number of threads
// at once. Work per call is linear in the input (hosts are at most 253 bytes, at most 127 labels,
// each parent looked up a bounded number of times).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "enrich/url.h"

namespace clicktrail::enrich {

struct referrer_fields {
  std::optional<std::string> medium, source, term;
  // The first ad click id in the page URL's query, in the query's order, with a value: its name
  // as listed here, or nullopt. Names compared ignoring ASCII case.
  //   gclid, gbraid, wbraid, dclid (Google Ads, Display & Video 360), msclkid (Microsoft
  //   Advertising), fbclid (Meta; also on organic links, so not "paid" by itself), ttclid (TikTok),
  //   twclid (X), li_fat_id (LinkedIn), ScCid (Snapchat), rdt_cid (Reddit), yclid (Yandex Direct).
  std::optional<std::string> click_id_kind;
  friend bool operator==(const referrer_fields&, const referrer_fields&) = default;
};

// What a referrer says by itself, whatever page it led to: whether there is one, its host, and
// what the list makes of it (rules 4 and 5 below). Referrers repeat from event to event (search
// engines, social sites, a site's own pages), so an enricher may keep these by referrer text
// (sink_enricher does) and classify with them.
struct referrer_origin {
  bool blank = true;                // none, or only whitespace: direct traffic unless paid
  std::optional<std::string> host;  // without a leading "www."; nullopt when it is no URL with a host
  referrer_fields listed;           // rules 4 and 5, for a URL with a host
};

// What the rules need of the page an event was on, from its URL alone (so it may be cached by
// the URL's text, as the sink does).
struct landing_page {
  std::optional<std::string> host;  // without a leading "www."; nullopt when it is no URL with a host
  std::string_view click_id_kind;   // the first click id's listed name (static text), or empty
  bool paid_click = false;          // that click id means paid (rule 1)
};

class referrer_classifier {
 public:
  // Reads a referrer list (the shape above). `origin` names it in errors (a path, or "clicktrail
  // referrers (built in)"); an error says which medium, source or domain is wrong and why.
  static base::result<referrer_classifier> compile(std::string_view referrers_json, std::string_view origin);

  // medium: "search", "social", "email", "paid", "internal" or "unknown"; all nullopt for direct
  // traffic. The page URL is parsed once, for its click id and its host. Thread-safe.
  referrer_fields classify(const std::optional<std::string>& referrer,
                           const std::optional<std::string>& page_url,
                           const std::optional<std::string>& utm_medium) const;
  // The same, from origin_of() the referrer (a default referrer_origin when there is none) and
  // landing_page_of() the page URL (a default landing_page when there is none).
  referrer_fields classify(const referrer_origin& from, const landing_page& page,
                           const std::optional<std::string>& utm_medium) const;
  referrer_origin origin_of(std::string_view referrer) const;
  landing_page landing_page_of(std::string_view page_url) const;

  std::size_t source_count() const noexcept { return sources_.size(); }
  std::size_t domain_count() const noexcept { return domain_count_; }

 private:
  struct source {
    std::string medium, name;
    std::vector<std::string> parameters;  // search-term parameters, in the list's order
  };
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using domain_map = std::unordered_map<std::string, std::size_t, string_hash, std::equal_to<>>;

  referrer_classifier() = default;
  const source* lookup(std::string_view host, std::string_view path) const;
  const source* lookup_wildcard(std::string_view domain) const;
  referrer_fields describe(const url_parts& from) const;
  referrer_fields arrival(const referrer_origin& from, const landing_page& page,
                          const std::optional<std::string>& utm_medium) const;

  std::vector<source> sources_;
  domain_map domains_;    // "google.com", "icloud.com/mail" → index in sources_
  domain_map wildcards_;  // "google" for "google.*", "mail.yahoo" for "mail.yahoo.*"
  bool has_paths_ = false;
  std::size_t domain_count_ = 0;
};

}  // namespace clicktrail::enrich
