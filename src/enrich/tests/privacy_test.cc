#include "enrich/privacy.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <thread>
#include <vector>

#include "base/uuid.h"

namespace clicktrail::enrich {
namespace {

// strip_params with the default list and no extra names.
std::optional<std::string> strip(std::string_view url, std::span<const std::string> extra = {}) {
  return strip_params(url, param_names(default_private_params(), extra));
}

TEST(strip_params, removes_listed_parameters_and_keeps_the_rest_byte_for_byte) {
  EXPECT_EQ(strip("https://a.example/p?email=a%40b.c&token=x&utm_source=x"),
            "https://a.example/p?utm_source=x");
  EXPECT_EQ(strip("https://a.example/p?utm_source=x&email=a%40b.c&utm_medium=y%20z"),
            "https://a.example/p?utm_source=x&utm_medium=y%20z");
  EXPECT_EQ(strip("/p?b=2&password=hunter2&a=1&api_key=k"), "/p?b=2&a=1");
}

TEST(strip_params, matches_names_percent_decoded_ignoring_case_dashes_and_underscores) {
  EXPECT_EQ(strip("/p?E%6Dail=a&x=1"), "/p?x=1");
  EXPECT_EQ(strip("/p?EMAIL=a&x=1"), "/p?x=1");
  EXPECT_EQ(strip("/p?e-mail=a&E_Mail=b&x=1"), "/p?x=1");
  EXPECT_EQ(strip("/p?accessToken=a&ACCESS-TOKEN=b&access%5Ftoken=c&x=1"), "/p?x=1");
  EXPECT_EQ(strip("/p?X-Amz-Signature=abc&X-Amz-Date=20261205T000000Z"), "/p?X-Amz-Date=20261205T000000Z");
  // Prefixes, suffixes and other names stay: matching is whole-name.
  EXPECT_EQ(strip("/p?emails=a&my_token=b&tokenize=c&name=d&q=e"), std::nullopt);
  // A broken escape is the literal '%', so the name is not "email".
  EXPECT_EQ(strip("/p?em%ail=a"), std::nullopt);
}

// Every byte as %XX: the name read by the decoding path, which must agree with the plain one.
std::string percent_encoded(std::string_view name) {
  std::string out;
  for (const char c : name) out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
  return out;
}

TEST(param_names, a_name_matches_alike_plain_and_percent_encoded) {
  using namespace std::string_literals;
  const std::vector<std::string> extra = {"x-tenant-" + std::string(56, 'k')};  // 63 compared characters
  const param_names names(default_private_params(), extra);
  std::vector<std::string> tried;
  for (const std::string_view listed : default_private_params()) {
    tried.emplace_back(listed);
    std::string upper(listed);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    tried.push_back(upper);
    tried.push_back(std::string(listed) + "s");
    tried.push_back("-" + std::string(listed) + "_");
  }
  const std::string long_name = "x_tenant_" + std::string(56, 'k');
  tried.insert(tried.end(),
               {long_name, long_name + "k", long_name + "-", "tok\0en"s, "token\0x"s, "token\x01x", "pin\x02",
                "token\x02", "t\xc3\xb6ken", "\xff", "to ken", "", "-_-"});
  for (const std::string& name : tried) {
    const bool plain = names.contains(name + "=v");
    EXPECT_EQ(names.contains(name), plain) << name;
    EXPECT_EQ(names.contains(percent_encoded(name) + "=v"), plain) << name;
  }
  EXPECT_TRUE(names.contains("token=v"));
  EXPECT_TRUE(names.contains("T-o_K-e_N"));
  EXPECT_TRUE(names.contains(long_name));
  EXPECT_FALSE(names.contains(long_name + "k"));  // 64 compared characters: never listed
  EXPECT_TRUE(names.contains(long_name + "-"));   // '-' is not compared
  EXPECT_TRUE(names.contains("token\0x=v"s));     // a NUL ends the name, as %00 does
  EXPECT_TRUE(names.contains("token%00x=v"));
  EXPECT_FALSE(names.contains("token\x01x=v"));  // bytes 1 and 2 are bytes of the name
  EXPECT_FALSE(names.contains("token%01x=v"));
  EXPECT_FALSE(names.contains("to+ken=v"));  // '+' is a space
  EXPECT_TRUE(names.contains("%74oken=v"));
  EXPECT_FALSE(names.contains("token%=v"));  // a lone '%' is itself
}

TEST(strip_params, a_name_without_value_or_with_an_empty_one_is_a_name) {
  EXPECT_EQ(strip("/p?token&x=1"), "/p?x=1");
  EXPECT_EQ(strip("/p?x=1&token="), "/p?x=1");
  EXPECT_EQ(strip("/p?=1&token=2"), "/p?=1");
}

TEST(strip_params, repeated_parameters_all_go) {
  EXPECT_EQ(strip("/p?token=1&x=1&token=2&x=2&Token=3"), "/p?x=1&x=2");
}

TEST(strip_params, keeps_empty_pieces_and_drops_the_question_mark_when_nothing_is_left) {
  EXPECT_EQ(strip("/p?a=1&&token=x&b=2"), "/p?a=1&&b=2");
  EXPECT_EQ(strip("/p?&&a=1"), std::nullopt);
  EXPECT_EQ(strip("/p?token=x"), "/p");
  EXPECT_EQ(strip("/p?token=x&&email=y&"), "/p");
  EXPECT_EQ(strip("/p?token=x#top"), "/p#top");
}

TEST(strip_params, keeps_the_fragment) {
  EXPECT_EQ(strip("https://a.example/p?token=x&a=1#section-2"), "https://a.example/p?a=1#section-2");
  EXPECT_EQ(strip("https://a.example/p?a=1#"), std::nullopt);
  EXPECT_EQ(strip("https://a.example/p?token=1#"), "https://a.example/p#");
}

TEST(strip_params, a_url_without_parameters_is_left_alone) {
  EXPECT_EQ(strip("https://a.example/p"), std::nullopt);
  EXPECT_EQ(strip("https://a.example/p?"), std::nullopt);
  EXPECT_EQ(strip(""), std::nullopt);
  EXPECT_EQ(strip("https://a.example/p?utm_source=x&page=2"), std::nullopt);
  // No '?' but a '#': a plain fragment, even one that mentions a name.
  EXPECT_EQ(strip("https://a.example/p#email"), std::nullopt);
  EXPECT_EQ(strip("https://a.example/token=x#a"), std::nullopt);  // a path, not a query
}

TEST(strip_params, removes_parameters_from_a_fragment_that_is_or_has_a_query) {
  // OAuth's implicit grant answers in the fragment.
  EXPECT_EQ(strip("https://a.example/cb#access_token=abc&token_type=bearer&expires_in=3600"),
            "https://a.example/cb#token_type=bearer&expires_in=3600");
  EXPECT_EQ(strip("https://a.example/cb#access_token=abc&id_token=def"), "https://a.example/cb");
  // A hash router's route with its own query.
  EXPECT_EQ(strip("https://a.example/#/reset?token=abc&lang=en"), "https://a.example/#/reset?lang=en");
  EXPECT_EQ(strip("https://a.example/?a=1#/reset?token=abc"), "https://a.example/?a=1#/reset");
  EXPECT_EQ(strip("https://a.example/?email=x#/r?email=y&b=2"), "https://a.example/#/r?b=2");
  // A text fragment has '=' but no listed name.
  EXPECT_EQ(strip("https://a.example/p#:~:text=email"), std::nullopt);
}

TEST(strip_params, removes_the_operators_extra_names_too) {
  const std::vector<std::string> extra{"order_id", "Coupon"};
  EXPECT_EQ(strip("/p?orderId=9&coupon=SAVE&email=x&a=1", extra), "/p?a=1");
  EXPECT_EQ(strip_params("/p?order_id=9&email=x", param_names({}, extra)), "/p?email=x");
}

TEST(default_private_params, covers_credentials_and_personal_data_and_not_what_reports_need) {
  const param_names names(default_private_params(), {});
  const auto listed = [&](std::string_view n) {
    return strip_params(std::string("/p?") + std::string(n) + "=1", names).has_value();
  };
  for (const char* n : {"email",
                        "e-mail",
                        "mail",
                        "token",
                        "access_token",
                        "id_token",
                        "refresh_token",
                        "password",
                        "pwd",
                        "code",
                        "session",
                        "sessionid",
                        "auth",
                        "api_key",
                        "apikey",
                        "key",
                        "secret",
                        "client_secret",
                        "sig",
                        "signature",
                        "jwt",
                        "otp",
                        "pin",
                        "ssn",
                        "phone",
                        "tel",
                        "username",
                        "user",
                        "first_name",
                        "lastName",
                        "SAMLResponse",
                        "reset_password_token",
                        "X-Amz-Security-Token",
                        "PHPSESSID"}) {
    EXPECT_TRUE(listed(n)) << n;
  }
  for (const char* n :
       {"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid", "ref", "q",
        "query", "search", "page", "lang", "id", "name", "state", "nonce", "country"}) {
    EXPECT_FALSE(listed(n)) << n;
  }
}

// ---- cookieless ids ----

constexpr std::int64_t dec_5_2026_10h = 1796464800000;  // 2026-12-05T10:00:00Z
constexpr std::int64_t hour_ms = 3'600'000;
constexpr const char* firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

TEST(cookieless_ids, match_the_documented_construction) {
  // Computed independently with Python's hmac and hashlib (see privacy.h for the construction).
  const cookieless_ids c("test secret, not a real one");
  const auto ids = c.derive("example.com", "192.0.2.10", firefox, dec_5_2026_10h);
  EXPECT_EQ(ids.anonymous_id, "dcd9b550-91e2-8ab7-9a51-bd6e1658e84b");
  EXPECT_EQ(ids.session_id, "aa855731-58ed-83c2-9e02-58478816124d");
}

TEST(cookieless_ids, are_version_8_uuids) {
  const cookieless_ids c("secret");
  const auto ids = c.derive("example.com", "192.0.2.10", firefox, dec_5_2026_10h);
  for (const std::string& id : {ids.anonymous_id, ids.session_id}) {
    const auto u = base::parse_uuid(id);
    ASSERT_TRUE(u) << id;
    EXPECT_EQ(u->version(), 8) << id;
    EXPECT_EQ(u->bytes[8] >> 6, 0b10) << id;
    EXPECT_EQ(u->to_string(), id);  // lower case, canonical
  }
  EXPECT_NE(ids.anonymous_id, ids.session_id);
}

TEST(cookieless_ids, are_stable_within_a_utc_day_and_change_at_midnight) {
  const cookieless_ids c("secret");
  const std::int64_t midnight = dec_5_2026_10h - 10 * hour_ms;
  const auto at = [&](std::int64_t ms) {
    return c.derive("example.com", "192.0.2.10", firefox, ms).anonymous_id;
  };
  EXPECT_EQ(at(midnight), at(dec_5_2026_10h));
  EXPECT_EQ(at(midnight), at(midnight + 24 * hour_ms - 1));
  EXPECT_NE(at(midnight), at(midnight + 24 * hour_ms));
  EXPECT_NE(at(midnight), at(midnight - 1));
  EXPECT_EQ(at(midnight - 1), at(midnight - 24 * hour_ms));
  // Back to a day already seen: the per-thread cache does not hold one day only by accident.
  EXPECT_EQ(at(midnight + 1), at(dec_5_2026_10h));
  const auto ids_today = c.derive("example.com", "192.0.2.10", firefox, midnight);
  const auto ids_tomorrow = c.derive("example.com", "192.0.2.10", firefox, midnight + 24 * hour_ms);
  EXPECT_NE(ids_today.session_id, ids_tomorrow.session_id);
}

TEST(cookieless_ids, differ_per_site_address_browser_and_secret) {
  const cookieless_ids c("secret"), other("another secret");
  const auto base_id = c.derive("example.com", "192.0.2.10", firefox, dec_5_2026_10h).anonymous_id;
  std::set<std::string> seen{base_id};
  EXPECT_TRUE(
      seen.insert(c.derive("example.org", "192.0.2.10", firefox, dec_5_2026_10h).anonymous_id).second);
  EXPECT_TRUE(
      seen.insert(c.derive("example.com", "192.0.2.11", firefox, dec_5_2026_10h).anonymous_id).second);
  EXPECT_TRUE(
      seen.insert(c.derive("example.com", "2001:db8::1", firefox, dec_5_2026_10h).anonymous_id).second);
  EXPECT_TRUE(
      seen.insert(c.derive("example.com", "192.0.2.10", "curl/8.5.0", dec_5_2026_10h).anonymous_id).second);
  EXPECT_TRUE(
      seen.insert(other.derive("example.com", "192.0.2.10", firefox, dec_5_2026_10h).anonymous_id).second);
  // Fields cannot run into each other: moving bytes across a boundary changes the id.
  EXPECT_TRUE(
      seen.insert(c.derive("example.com1", "92.0.2.10", firefox, dec_5_2026_10h).anonymous_id).second);
  EXPECT_TRUE(seen.insert(c.derive("", "", "", dec_5_2026_10h).anonymous_id).second);
  // Asked again after the others: the same.
  EXPECT_EQ(c.derive("example.com", "192.0.2.10", firefox, dec_5_2026_10h).anonymous_id, base_id);
}

TEST(cookieless_ids, do_not_contain_the_secret_or_the_inputs) {
  const std::string secret = "0123456789abcdef0123456789abcdef";
  const cookieless_ids c(secret);
  const auto ids = c.derive("example.com", "192.0.2.10", firefox, dec_5_2026_10h);
  for (const std::string& id : {ids.anonymous_id, ids.session_id}) {
    EXPECT_EQ(id.find(secret.substr(0, 8)), std::string::npos);
    EXPECT_EQ(id.find("192"), std::string::npos);
  }
}

TEST(cookieless_ids, agree_across_threads_and_objects) {
  const std::string want =
      cookieless_ids("secret").derive("example.com", "192.0.2.10", firefox, dec_5_2026_10h).anonymous_id;
  const cookieless_ids c("secret");
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (std::size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        // Alternating days makes each thread re-key its cached salt.
        const std::int64_t ms = dec_5_2026_10h + (i % 2) * 24 * hour_ms;
        const auto id = c.derive("example.com", "192.0.2.10", firefox, ms).anonymous_id;
        wrong[t] += (i % 2 == 0) != (id == want);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

TEST(cookieless_ids, days_before_1970_do_not_break) {
  const cookieless_ids c("secret");
  EXPECT_NE(c.derive("s", "192.0.2.1", "ua", -1).anonymous_id,
            c.derive("s", "192.0.2.1", "ua", 0).anonymous_id);
  EXPECT_EQ(c.derive("s", "192.0.2.1", "ua", -1).anonymous_id,
            c.derive("s", "192.0.2.1", "ua", -24 * hour_ms).anonymous_id);
}

// ---- raw input for the bad table ----

TEST(scrub_raw, blanks_listed_parameter_values_wherever_the_text_has_them) {
  const std::vector<std::string> extra{"ref_mail"};
  const std::string raw =
      R"([{"type":"page_view","page_url":"https://s.example/r?token=T0K&email=a%40b.c&utm_source=x#access_token=J",)"
      R"("referrer":"https://m.example/;session=S3&ref_mail=me","x":"far"}])";
  const std::string out = scrub_raw(raw, param_names(default_private_params(), extra), {});
  EXPECT_EQ(
      out,
      R"([{"type":"page_view","page_url":"https://s.example/r?token=&email=&utm_source=x#access_token=",)"
      R"("referrer":"https://m.example/;session=&ref_mail=","x":"far"}])");
  // Form-encoded and JSON-escaped text too; nothing listed, nothing changed.
  EXPECT_EQ(scrub_raw("type=page_view&url=https%3A%2F%2Fs%2F&Password=hunter2",
                      param_names(default_private_params(), {}), {}),
            "type=page_view&url=https%3A%2F%2Fs%2F&Password=");
  EXPECT_EQ(
      scrub_raw(R"({"page_url":"https:\/\/s\/?q=shoes"})", param_names(default_private_params(), {}), {}),
      R"({"page_url":"https:\/\/s\/?q=shoes"})");
}

TEST(scrub_raw, empties_the_json_string_values_of_the_keys_given) {
  const std::string raw = R"({"user_id" : "alice@example.com","anonymous_id":"a\"b","type":"user_id"})";
  EXPECT_EQ(scrub_raw(raw, param_names(default_private_params(), {}),
                      std::vector<std::string_view>{"user_id", "anonymous_id"}),
            R"({"user_id" : "","anonymous_id":"","type":"user_id"})");
  // Cut off in the middle: still bounded, still blanked.
  EXPECT_EQ(scrub_raw(R"({"user_id":"ali)", param_names(default_private_params(), {}),
                      std::vector<std::string_view>{"user_id"}),
            R"({"user_id":")");
}

// ---- pseudonymous user ids ----

TEST(pseudonymize_user_id, matches_the_documented_construction) {
  // Python: "p:" + hmac.new(secret, b"example.com\0user-42", hashlib.sha256).hexdigest()[:32]
  EXPECT_EQ(pseudonymize_user_id("test secret, not a real one", "example.com", "user-42"),
            "p:8f892557e3ad8b270540a79cb9c2245d");
}

TEST(pseudonymize_user_id, is_stable_per_site_and_differs_between_sites_users_and_secrets) {
  const std::string a = pseudonymize_user_id("secret", "example.com", "user-42");
  EXPECT_EQ(a.size(), 34u);
  EXPECT_EQ(a.substr(0, 2), "p:");
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef", 2), std::string::npos);
  EXPECT_EQ(pseudonymize_user_id("secret", "example.com", "user-42"), a);
  EXPECT_NE(pseudonymize_user_id("secret", "example.org", "user-42"), a);
  EXPECT_NE(pseudonymize_user_id("secret", "example.com", "user-43"), a);
  EXPECT_NE(pseudonymize_user_id("other secret", "example.com", "user-42"), a);
  // Back to the first secret after another: the per-thread key follows.
  EXPECT_EQ(pseudonymize_user_id("secret", "example.com", "user-42"), a);
  // The NUL separator keeps ("ab", "c") and ("a", "bc") apart.
  EXPECT_NE(pseudonymize_user_id("secret", "ab", "c"), pseudonymize_user_id("secret", "a", "bc"));
  EXPECT_EQ(a.find("user-42"), std::string::npos);
}

}  // namespace
}  // namespace clicktrail::enrich
