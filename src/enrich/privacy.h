#pragma once
// The privacy rules applied to an event before it is stored: query parameters that carry
// secrets or personal data, ids derived without cookies, pseudonymous user ids. Pure functions
// and one immutable-after-construction class; everything here is safe to call from any thread.

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>

namespace clicktrail::enrich {

// The query parameters removed from page_url and referrer unless the operator says otherwise:
// credentials (tokens, keys, passwords, signatures of signed URLs, session ids, one-time codes)
// and personal data (email, phone, names, identity and card numbers). privacy.cc lists them
// with the reason for each borderline one. Names compare as param_names says, so `api_key`
// also removes `apiKey`, `API-KEY` and `api%5Fkey`.
std::span<const std::string_view> default_private_params();

// A list of parameter names for strip_params and scrub_raw, prepared once (at start-up, per
// site): each name in its compared form, so that a parameter costs one compare of its first
// character and length, and a hash lookup only when those match a listed name.
//
// A parameter's name is what precedes its first '=' (or all of it), percent-decoded, '+' read as
// a space; it matches a listed name ignoring ASCII case and every '-' and '_', so snake_case,
// kebab-case and camelCase spellings of one name are one name. A name of 64 or more compared
// characters never matches.
class param_names {
 public:
  param_names(std::span<const std::string_view> names, std::span<const std::string> extra);
  // `piece`: NAME or NAME=value, as sent (percent-encoded).
  bool contains(std::string_view piece) const noexcept;

 private:
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  bool contains_decoded(std::string_view piece) const noexcept;  // '%', '+', bytes 1 and 2 in it
  bool contains_compared(std::string_view name) const noexcept;  // a name in its compared form
  static constexpr std::size_t max_name = 64;
  // Per first compared character: bit n set when a listed name of n characters starts with it.
  std::array<std::uint64_t, 256> lengths_by_first_{};
  bool empty_listed_ = false;  // "" (or "-") is listed: it matches pieces without a name
  std::unordered_set<std::string, hash, std::equal_to<>> compared_;
};

// `url` without the parameters `names` lists, or nullopt when none was there (the caller keeps
// its string; the common case allocates nothing).
//
// A removed parameter takes one '&' with it; when none is left the '?' goes too. Everything else
// stays byte for byte: the order, the encoding, empty pieces between "&&", and the fragment's
// text, except that parameters inside the fragment are removed the same way when it has a query
// of its own ("#/reset?token=…", hash-routed apps) or is one ("#access_token=…&token_type=bearer",
// OAuth's implicit grant, RFC 6749 §4.2.2), because browsers report them in location.href too.
std::optional<std::string> strip_params(std::string_view url, const param_names& names);

// Raw input as the bad table keeps it (a rejected event, a refused body): the values of listed
// query parameters blanked wherever the text has NAME=value after '?', '&', '#' or ';' (NAME as
// param_names compares it, the value up to the next '&', '#', quote, backslash or space), and the
// JSON string values of `json_keys` ("user_id": "…") emptied. The collector could not read this
// input as events, so it cannot strip them field by field; this keeps the bad table from storing
// what an event would have had removed.
std::string scrub_raw(std::string_view raw, const param_names& names,
                      std::span<const std::string_view> json_keys);

// Cookieless mode: ids from a keyed hash, so visitor counts work with nothing stored in the
// browser. For each UTC day, salt = HMAC-SHA256(secret, "clicktrail-salt:YYYY-MM-DD"); a
// visitor's hash is HMAC-SHA256(salt, site, ip, user agent), each field length-prefixed so no two
// field lists hash alike. anonymous_id is its first 128 bits and session_id its last 128 bits,
// each written as a UUID of version 8 (RFC 9562's custom version: 36 characters, like the
// tracker's random v4 ids, and told apart from them by the '8', their 15th character).
//
// One visitor per (site, address, browser) per UTC day: ids change at 00:00 UTC and differ
// between sites; nobody without the secret can link two days or recompute an id from an address.
// The session is the whole day, since nothing is stored to end one; 30-minute sessions come
// from the events at query time (docs/privacy.md has the SQL). The secret is never logged or
// written anywhere; this object's copy is wiped on destruction (the configuration keeps its own
// for the process's life, so that is tidiness, not a guarantee).
//
// Created at start-up; derive() is called by every request thread and is thread-safe.
class cookieless_ids {
 public:
  explicit cookieless_ids(std::string secret);
  ~cookieless_ids();
  cookieless_ids(const cookieless_ids&) = delete;
  cookieless_ids& operator=(const cookieless_ids&) = delete;

  struct ids {
    std::string anonymous_id, session_id;
  };
  ids derive(std::string_view site, std::string_view ip, std::string_view user_agent,
             std::int64_t unix_ms) const;

 private:
  std::string secret_;
  // Tells this object's keys apart from those of an earlier one at the same address in the
  // per-thread cache of privacy.cc, which keeps one HMAC keyed with the day's salt per thread.
  std::uint64_t generation_;
};

// A user_id as stored when pseudonymisation is on: "p:" and 32 lower-case hex digits, the first
// 128 bits of HMAC-SHA256(secret, site + '\0' + user_id) (site keys hold no NUL, so the message
// is unambiguous). The same user on the same site gets the same pseudonym on every day and
// collector; on another site another one; reversing it needs the secret. 128 bits make a
// collision among even 10^12 users a 10^-15 chance; the "p:" tells an analyst it is not the id
// the site sent.
std::string pseudonymize_user_id(std::string_view secret, std::string_view site, std::string_view user_id);

}  // namespace clicktrail::enrich
