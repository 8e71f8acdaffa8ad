#include "enrich/privacy.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>

#include "base/text.h"
#include "base/uuid.h"

namespace clicktrail::enrich {
namespace {

// ---- Query parameters ----------------------------------------------------------------------

// One spelling per name: matching ignores case, '-' and '_' (strip_params), so "api_key" stands
// for apikey, apiKey and API-KEY too.
constexpr std::string_view private_params[] = {
    // Credentials: whoever holds one can act as the user, call the API or open the file.
    "access_token", "id_token", "refresh_token", "token", "auth", "authorization", "auth_token", "api_key",
    "secret", "client_secret", "password", "passwd", "pwd", "jwt", "otp", "pin", "session", "session_id",
    "phpsessid", "jsessionid", "oauth_token", "oauth_verifier",
    "ticket",         // CAS service tickets (?ticket=ST-…), a login for whoever replays it
    "saml_response",  // SAMLResponse: the identity provider's signed statement about the user
    // Devise's (Rails) e-mailed links, the most common of their kind.
    "reset_password_token", "confirmation_token", "invitation_token", "unlock_token",
    // Signed URLs (S3, GCS, CloudFront; Azure's SAS uses `sig`): a signature opens the object for
    // anyone; without it the rest of the URL is harmless. The security token is a credential.
    "signature", "sig", "x_amz_signature", "x_amz_security_token", "x_goog_signature",
    // Borderline, removed: `key` carries API keys (Google's APIs); `code` is OAuth's
    // authorization code (also a promo code, which an operator can add back by listing their
    // own names instead of these); `pass` and `sid` are mostly a password and a session id.
    "key", "code", "pass", "sid",
    // Personal data. `e-mail`, `e_mail` and `eMail` are "email".
    "email", "email_address", "mail", "phone", "phone_number", "tel", "telephone",
    "mobile",  // a phone number in sign-up forms; "mobile=1" flags lose nothing worth keeping
    "username", "user", "login", "first_name", "last_name", "full_name", "surname",
    "address",  // a street address (or a wallet's) points at one person
    "dob", "date_of_birth", "birthdate", "birthday", "ssn", "iban", "card_number", "credit_card", "cvv",
    "cvc",
    // Kept on purpose: `name` (products, files), `q`/`query`/`search` (what reports are for),
    // `state` and `nonce` (OAuth's single-use values, neither secret after use nor personal),
    // `zip`/`postcode` and `country` (coarse), `cc` (country code as often as card).
};

constexpr bool ignored_in_names(char c) noexcept {
  return c == '-' || c == '_';
}
constexpr char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

// Walks a parameter name as its decoded, compared form: %XX decoded ('%' alone stays '%'), '+'
// read as a space, lower case, without '-' and '_'. No copy, so nothing is allocated.
class name_reader {
 public:
  name_reader(std::string_view text, bool percent_encoded) : text_(text), encoded_(percent_encoded) {}

  // The next compared character, or '\0' past the end (names hold no NUL that matters).
  char next() noexcept {
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (encoded_ && c == '+') {
        c = ' ';
      } else if (encoded_ && c == '%' && pos_ + 2 <= text_.size()) {
        const int hi = base::hex_value(text_[pos_]), lo = base::hex_value(text_[pos_ + 1]);
        if (hi >= 0 && lo >= 0) {
          c = static_cast<char>(hi * 16 + lo);
          pos_ += 2;
        }
      }
      if (!ignored_in_names(c)) return lower(c);
    }
    return '\0';
  }

 private:
  std::string_view text_;
  bool encoded_;
  std::size_t pos_ = 0;
};

// A name's byte in its compared form (lower case), or one of three codes: a byte the compared
// form skips ('-', '_'), one that ends the name ('=', NUL: name_reader's end too), and one that
// name_reader must read ('%', '+', and bytes 1 and 2, whose own values are codes here). What
// param_names::contains reads a plain name by.
constexpr unsigned char skipped_in_name = 0, ends_name = 1, needs_decoding = 2;
constexpr std::array<unsigned char, 256> name_bytes = [] {
  std::array<unsigned char, 256> t{};
  for (std::size_t b = 0; b < t.size(); ++b) t[b] = static_cast<unsigned char>(lower(static_cast<char>(b)));
  t['-'] = t['_'] = skipped_in_name;
  t['='] = t[0] = ends_name;
  t['%'] = t['+'] = t[1] = t[2] = needs_decoding;
  return t;
}();

// Calls f(piece) for each '&'-separated piece of a query, empty ones included.
template <class F>
void for_each_piece(std::string_view query, F&& f) {
  for (;;) {
    const std::size_t amp = query.find('&');
    f(query.substr(0, amp));
    if (amp == std::string_view::npos) return;
    query.remove_prefix(amp + 1);
  }
}

bool any_listed(std::string_view query, const param_names& lists) {
  bool found = false;
  for_each_piece(query, [&](std::string_view piece) { found = found || lists.contains(piece); });
  return found;
}

// Appends the query's pieces that are not listed, '&'-joined; false when none but empty ones
// are left (the caller then drops the '?' or '#' too).
bool append_kept(std::string_view query, const param_names& lists, std::string& out) {
  const std::size_t start = out.size();
  bool first = true, substance = false;
  for_each_piece(query, [&](std::string_view piece) {
    if (lists.contains(piece)) return;
    if (!first) out += '&';
    out += piece;
    first = false;
    substance = substance || !piece.empty();
  });
  if (!substance) out.resize(start);
  return substance;
}

// A URL cut where strip_params looks: [head]?[query]#[fragment head]?[fragment query].
struct url_parts {
  std::string_view head;                     // up to the '?' (or the '#', or all)
  std::optional<std::string_view> query;     // after the '?', without it
  std::optional<std::string_view> fragment;  // after the '#', without it: all of it
  std::string_view fragment_head;            // the fragment's part before its own query
  std::optional<std::string_view> fragment_query;
  bool fragment_query_marked = false;  // the fragment's query follows a '?'
};

url_parts split(std::string_view url) {
  url_parts p;
  const std::size_t hash = url.find('#');
  std::string_view before = url.substr(0, hash);
  if (hash != std::string_view::npos) p.fragment = url.substr(hash + 1);
  const std::size_t mark = before.find('?');
  p.head = before.substr(0, mark);
  if (mark != std::string_view::npos) p.query = before.substr(mark + 1);
  if (p.fragment) {
    const std::string_view f = *p.fragment;
    if (const std::size_t fmark = f.find('?'); fmark != std::string_view::npos) {
      p.fragment_head = f.substr(0, fmark);  // "#/reset?token=…": a hash router's route and query
      p.fragment_query = f.substr(fmark + 1);
      p.fragment_query_marked = true;
    } else if (f.find('=') != std::string_view::npos) {
      p.fragment_query = f;  // "#access_token=…&token_type=bearer": the fragment is a query
    }
  }
  return p;
}

// ---- HMAC-SHA256 ---------------------------------------------------------------------------

using digest = std::array<std::uint8_t, 32>;

// OpenSSL's HMAC, fetched once: an implicit fetch per call (what HMAC() does) costs more than
// the hash itself and takes a lock in OpenSSL 3.0's method store.
EVP_MAC* hmac_algorithm() {
  static EVP_MAC* const mac = [] {
    EVP_MAC* m = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (m == nullptr) throw std::runtime_error("OpenSSL has no HMAC (libcrypto's default provider missing)");
    return m;
  }();
  return mac;
}

struct mac_ctx_free {
  void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};

// An HMAC-SHA256 with its key set, reused for message after message: one per thread (below),
// never shared. Keying hashes the key's two pads once; each message then costs its own hashing.
class keyed_hmac {
 public:
  void set_key(std::string_view key) {
    if (!ctx_) ctx_.reset(EVP_MAC_CTX_new(hmac_algorithm()));
    char sha256[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, sha256, 0),
                                 OSSL_PARAM_construct_end()};
    if (!ctx_ || EVP_MAC_init(ctx_.get(), bytes(key), key.size(), params) != 1) {
      throw std::runtime_error("OpenSSL HMAC-SHA256 could not be keyed");
    }
  }

  // HMAC of the concatenation of `parts`; the key set last.
  template <std::size_t n>
  digest mac(const std::array<std::string_view, n>& parts) {
    digest out{};
    std::size_t len = 0;
    bool ok = EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) == 1;  // the same key, a new message
    for (const std::string_view part : parts)
      ok = ok && EVP_MAC_update(ctx_.get(), bytes(part), part.size()) == 1;
    if (!ok || EVP_MAC_final(ctx_.get(), out.data(), &len, out.size()) != 1 || len != out.size()) {
      throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
    }
    return out;
  }

 private:
  static const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());  // NOLINT: bytes as chars
  }
  std::unique_ptr<EVP_MAC_CTX, mac_ctx_free> ctx_;
};

std::string_view as_chars(const digest& d, std::size_t n = 32) {
  return {reinterpret_cast<const char*>(d.data()), n};  // NOLINT: bytes as chars
}

// A field's length as 4 big-endian bytes, the prefix that keeps fields from running together.
std::array<char, 4> length_prefix(std::size_t size) {
  const auto n = static_cast<std::uint32_t>(size);
  return {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
          static_cast<char>(n)};
}

// 128 bits as a version-8 UUID (RFC 9562 §5.8): the version and variant bits overwrite 6 of them.
std::string uuid_v8(const std::uint8_t* bits) {
  base::uuid u;
  std::copy(bits, bits + 16, u.bytes.begin());
  u.bytes[6] = static_cast<std::uint8_t>((u.bytes[6] & 0x0f) | 0x80);
  u.bytes[8] = static_cast<std::uint8_t>((u.bytes[8] & 0x3f) | 0x80);
  return u.to_string();
}

// "YYYY-MM-DD" of a UTC day number (days since 1970-01-01).
std::array<char, 10> utc_date(std::int64_t day) {
  using namespace std::chrono;
  const year_month_day ymd{sys_days{days{day}}};
  std::array<char, 10> out{};
  fmt::format_to_n(out.data(), out.size(), "{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                   static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return out;
}

std::int64_t utc_day(std::int64_t unix_ms) {
  constexpr std::int64_t ms_per_day = 86'400'000;
  return unix_ms >= 0 ? unix_ms / ms_per_day : -((-unix_ms + ms_per_day - 1) / ms_per_day);
}

std::atomic<std::uint64_t> next_generation{1};

}  // namespace

std::span<const std::string_view> default_private_params() {
  return private_params;
}

param_names::param_names(std::span<const std::string_view> names, std::span<const std::string> extra) {
  const auto add = [this](std::string_view listed) {
    std::string name;
    name_reader r(listed, false);
    for (char c = r.next(); c != '\0' && name.size() < max_name; c = r.next()) name.push_back(c);
    if (name.size() >= max_name) return;
    if (name.empty()) {
      empty_listed_ = true;  // contains() answers nameless pieces from this, not from the set
      return;
    }
    lengths_by_first_[static_cast<unsigned char>(name[0])] |= std::uint64_t{1} << name.size();
    compared_.insert(std::move(name));
  };
  for (const std::string_view n : names) add(n);
  for (const std::string& n : extra) add(n);
}

bool param_names::contains(std::string_view piece) const noexcept {
  // The name in its compared form, on the stack: a byte at a time through name_bytes while it
  // needs no decoding (nearly every name), else again by name_reader.
  std::array<char, max_name> buffer;  // NOLINT: filled up to `size` before it is read
  std::size_t size = 0;
  for (const char raw : piece) {
    const unsigned char c = name_bytes[static_cast<unsigned char>(raw)];
    if (c > needs_decoding) {
      if (size == max_name - 1) return false;  // longer than any listed name
      buffer[size++] = static_cast<char>(c);
    } else if (c == ends_name) {
      break;
    } else if (c == needs_decoding) {
      return contains_decoded(piece);
    }
  }
  return contains_compared({buffer.data(), size});
}

bool param_names::contains_decoded(std::string_view piece) const noexcept {
  std::array<char, max_name> buffer;  // NOLINT: filled up to `size` before it is read
  std::size_t size = 0;
  name_reader r(piece.substr(0, piece.find('=')), true);
  for (char c = r.next(); c != '\0'; c = r.next()) {
    if (size == max_name - 1) return false;  // longer than any listed name
    buffer[size++] = c;
  }
  return contains_compared({buffer.data(), size});
}

bool param_names::contains_compared(std::string_view name) const noexcept {
  const std::size_t size = name.size();
  if (size == 0) return empty_listed_;
  if ((lengths_by_first_[static_cast<unsigned char>(name[0])] >> size & 1) == 0) return false;
  return compared_.find(name) != compared_.end();
}

std::optional<std::string> strip_params(std::string_view url, const param_names& lists) {
  const url_parts p = split(url);
  const bool in_query = p.query && any_listed(*p.query, lists);
  const bool in_fragment = p.fragment_query && any_listed(*p.fragment_query, lists);
  if (!in_query && !in_fragment) return std::nullopt;

  std::string out;
  out.reserve(url.size());
  out += p.head;
  if (p.query) {
    out += '?';
    if (!append_kept(*p.query, lists, out)) out.pop_back();
  }
  if (p.fragment) {
    const std::size_t hash_at = out.size();
    out += '#';
    if (!p.fragment_query) {
      out += *p.fragment;
    } else {
      out += p.fragment_head;
      if (p.fragment_query_marked) out += '?';
      if (!append_kept(*p.fragment_query, lists, out) && p.fragment_query_marked) out.pop_back();
      if (out.size() == hash_at + 1) out.pop_back();  // nothing left of the fragment: no '#'
    }
  }
  return out;
}

std::string scrub_raw(std::string_view raw, const param_names& lists,
                      std::span<const std::string_view> json_keys) {
  const auto value_ends = [](char c) {
    return c == '&' || c == '#' || c == '"' || c == '\\' || c == ' ' || c == '\n' || c == '\r' || c == '\t';
  };
  std::string out;
  out.reserve(raw.size());
  std::size_t i = 0;
  while (i < raw.size()) {
    const char c = raw[i];
    out.push_back(c);
    ++i;
    if (c == '?' || c == '&' || c == '#' || c == ';') {
      // A NAME=value piece starts here: blank the value if NAME is listed.
      std::size_t eq = i;
      while (eq < raw.size() && eq - i < 128 && raw[eq] != '=' && !value_ends(raw[eq])) ++eq;
      if (eq < raw.size() && raw[eq] == '=' && eq > i && lists.contains(raw.substr(i, eq - i))) {
        out.append(raw.substr(i, eq + 1 - i));
        i = eq + 1;
        while (i < raw.size() && !value_ends(raw[i])) ++i;
      }
    } else if (c == '"') {
      // A JSON key listed in json_keys: its string value is emptied.
      for (const std::string_view key : json_keys) {
        if (raw.substr(i, key.size()) != key || i + key.size() >= raw.size() || raw[i + key.size()] != '"')
          continue;
        std::size_t j = i + key.size() + 1;
        while (j < raw.size() && (raw[j] == ' ' || raw[j] == '\t' || raw[j] == '\n' || raw[j] == '\r')) ++j;
        if (j >= raw.size() || raw[j] != ':') break;
        ++j;
        while (j < raw.size() && (raw[j] == ' ' || raw[j] == '\t' || raw[j] == '\n' || raw[j] == '\r')) ++j;
        if (j >= raw.size() || raw[j] != '"') break;
        out.append(raw.substr(i, j + 1 - i));  // key"  :  "
        j += 1;
        while (j < raw.size() && raw[j] != '"') j += raw[j] == '\\' ? 2u : 1u;  // the value, escapes skipped
        i = std::min(j, raw.size());  // the closing quote is copied next
        break;
      }
    }
  }
  return out;
}

cookieless_ids::cookieless_ids(std::string secret)
    : secret_(std::move(secret)), generation_(next_generation.fetch_add(1)) {}

cookieless_ids::~cookieless_ids() {
  OPENSSL_cleanse(secret_.data(), secret_.size());
}

cookieless_ids::ids cookieless_ids::derive(std::string_view site, std::string_view ip,
                                           std::string_view user_agent, std::int64_t unix_ms) const {
  // Each thread keeps an HMAC keyed with the salt of the last (object, day) it served: a new
  // salt costs two HMACs once per thread per day, a request one HMAC over its fields.
  struct day_key {
    std::uint64_t generation = 0;
    std::int64_t day = 0;
    keyed_hmac hmac;
  };
  thread_local day_key cache;
  const std::int64_t day = utc_day(unix_ms);
  if (cache.generation != generation_ || cache.day != day) {
    const std::array<char, 10> date = utc_date(day);
    keyed_hmac by_secret;
    by_secret.set_key(secret_);
    const digest salt =
        by_secret.mac(std::array<std::string_view, 2>{"clicktrail-salt:", {date.data(), date.size()}});
    cache.hmac.set_key(as_chars(salt));
    cache.generation = generation_;
    cache.day = day;
  }
  const auto site_len = length_prefix(site.size()), ip_len = length_prefix(ip.size()),
             ua_len = length_prefix(user_agent.size());
  const digest h = cache.hmac.mac(std::array<std::string_view, 6>{
      {{site_len.data(), 4}, site, {ip_len.data(), 4}, ip, {ua_len.data(), 4}, user_agent}});
  return {uuid_v8(h.data()), uuid_v8(h.data() + 16)};
}

std::string pseudonymize_user_id(std::string_view secret, std::string_view site, std::string_view user_id) {
  // The key changes only when the operator's secret does: keep this thread's HMAC keyed with it.
  struct secret_key {
    std::string secret;
    keyed_hmac hmac;
    bool keyed = false;
    ~secret_key() { OPENSSL_cleanse(secret.data(), secret.size()); }
  };
  thread_local secret_key cache;
  if (!cache.keyed || cache.secret != secret) {
    OPENSSL_cleanse(cache.secret.data(), cache.secret.size());
    cache.secret.assign(secret);
    cache.hmac.set_key(secret);
    cache.keyed = true;
  }
  const digest h = cache.hmac.mac(std::array<std::string_view, 3>{site, std::string_view("\0", 1), user_id});
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "p:";
  out.reserve(2 + 32);
  for (std::size_t i = 0; i < 16; ++i) {
    out += hex[h[i] >> 4];
    out += hex[h[i] & 0xf];
  }
  return out;
}

}  // namespace clicktrail::enrich
