#include "enrich/url.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace clicktrail::enrich {
namespace {

TEST(Url, FindsTheParts) {
  const auto url = parse_url(" HTTPS://User:Pw@WWW.Example.COM.:8443/a/b?x=1&y=2#frag ");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "HTTPS");
  EXPECT_EQ(url->host, "www.example.com");
  EXPECT_EQ(url->path, "/a/b");
  EXPECT_EQ(url->query, "x=1&y=2");

  const auto bare = parse_url("https://example.com");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->host, "example.com");
  EXPECT_EQ(bare->path, "");
  EXPECT_EQ(bare->query, "");

  const auto fragment_first = parse_url("https://example.com/p#a?b=1");
  ASSERT_TRUE(fragment_first);
  EXPECT_EQ(fragment_first->path, "/p");
  EXPECT_EQ(fragment_first->query, "");

  const auto query_only = parse_url("https://example.com?q=1");
  ASSERT_TRUE(query_only);
  EXPECT_EQ(query_only->host, "example.com");
  EXPECT_EQ(query_only->query, "q=1");

  // The authority ends at the first '/', '?' or '#', whichever comes first; the path at '?' or '#'.
  const auto slash_in_query = parse_url("https://a@example.com?q=/x@y#/z");
  ASSERT_TRUE(slash_in_query);
  EXPECT_EQ(slash_in_query->host, "example.com");
  EXPECT_EQ(slash_in_query->path, "");
  EXPECT_EQ(slash_in_query->query, "q=/x@y");
  const auto slash_in_fragment = parse_url("https://example.com#/p?q=1");
  ASSERT_TRUE(slash_in_fragment);
  EXPECT_EQ(slash_in_fragment->host, "example.com");
  EXPECT_EQ(slash_in_fragment->query, "");
  const auto userinfo_at_signs = parse_url("https://a@b@Example.com:1/p@q?r");
  ASSERT_TRUE(userinfo_at_signs);
  EXPECT_EQ(userinfo_at_signs->host, "example.com");
  EXPECT_EQ(userinfo_at_signs->path, "/p@q");
  EXPECT_EQ(userinfo_at_signs->query, "r");

  const auto idn = parse_url("https://bücher.example/");
  ASSERT_TRUE(idn);
  EXPECT_EQ(idn->host, "bücher.example");
}

TEST(Url, RefusesWhatHasNoHost) {
  for (const std::string text :
       {"", "example.com", "mailto:a@b.example", "https:", "https://", "https://:80/", "https://@/",
        "1http://example.com/", "https://a b/", "https://a\tb/", "https://[::1/", "https://[]/",
        "https://a%2eb/", "https://a\x01/"}) {
    EXPECT_FALSE(parse_url(text)) << text;
  }
}

TEST(Url, WalksTheQuery) {
  std::string_view query = "a=1&&b&c=&=d&e=x=y";
  std::vector<std::pair<std::string_view, std::string_view>> seen;
  query_parameter p;
  while (next_query_parameter(query, p)) seen.emplace_back(p.name, p.value);
  const std::vector<std::pair<std::string_view, std::string_view>> expected = {
      {"a", "1"}, {"b", ""}, {"c", ""}, {"", "d"}, {"e", "x=y"}};
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(find_query_value("q=&q=2&Q=3", "q"), "2");
  EXPECT_EQ(find_query_value("x=1", "q"), std::nullopt);
}

TEST(Url, DecodesQueryComponents) {
  EXPECT_EQ(decode_query_component("a+b%20c", 100), "a b c");
  EXPECT_EQ(decode_query_component("%e2%82%ac", 100), "€");
  EXPECT_EQ(decode_query_component("%", 100), "%");
  EXPECT_EQ(decode_query_component("%4", 100), "%4");
  EXPECT_EQ(decode_query_component("%C3", 100), "\xEF\xBF\xBD");
  EXPECT_EQ(decode_query_component("%00%7F", 100), "  ");
  EXPECT_EQ(decode_query_component("abcdef", 3), "abc");
  EXPECT_EQ(decode_query_component("ab%E2%82%AC", 4), "ab");
}

}  // namespace
}  // namespace clicktrail::enrich
