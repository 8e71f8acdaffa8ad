// The Parquet writer's dictionary: every value keeps the index it got first, whatever the cache of
// recent values in front of the table holds.

#include "format/parquet/string_dictionary.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace clicktrail::format::parquet {
namespace {

TEST(string_dictionary, indices_follow_first_appearance) {
  string_dictionary d;
  EXPECT_EQ(d.index_of("page_view"), 0u);
  EXPECT_EQ(d.index_of("click"), 1u);
  EXPECT_EQ(d.index_of("page_view"), 0u);
  EXPECT_EQ(d.index_of(""), 2u);
  EXPECT_EQ(d.index_of("click"), 1u);
  EXPECT_EQ(d.index_of(""), 2u);
  ASSERT_EQ(d.count(), 3u);
  EXPECT_EQ(d.at(0), "page_view");
  EXPECT_EQ(d.at(1), "click");
  EXPECT_EQ(d.at(2), "");
  EXPECT_EQ(d.encoded_bytes(), 9 + 5 + 0 + 3 * 4);
}

// Values that agree on their length and on the bytes the cache's key reads (the first, middle
// and last eight) share a cache slot; each must still find its own index, in any order.
TEST(string_dictionary, values_that_share_a_cache_slot_keep_their_own_index) {
  std::vector<std::string> values;
  for (char c = 'a'; c <= 'z'; ++c) {
    std::string v = "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0.0.0 Safari/537.36";
    v[10] = c;             // outside the first eight, the last eight and the middle eight
    v[v.size() - 12] = c;  // likewise, near the end
    values.push_back(v);
  }
  for (const char* s : {"a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "acb", "b", "ba"})
    values.emplace_back(s);
  string_dictionary d;
  for (std::size_t i = 0; i < values.size(); ++i) ASSERT_EQ(d.index_of(values[i]), i) << values[i];
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ(d.index_of(values[i]), i) << values[i];
    for (std::size_t i = values.size(); i-- > 0;) EXPECT_EQ(d.index_of(values[i]), i) << values[i];
  }
  EXPECT_EQ(d.count(), values.size());
}

TEST(string_dictionary, thousands_of_values_survive_the_table_growing) {
  string_dictionary d;
  auto value = [](int i) {
    return "https://me.github.io/posts/" + std::to_string(i * 7919 % 100000) + "-a-title";
  };
  for (int i = 0; i < 20000; ++i) ASSERT_EQ(d.index_of(value(i)), static_cast<std::uint32_t>(i));
  for (int i = 19999; i >= 0; --i) ASSERT_EQ(d.index_of(value(i)), static_cast<std::uint32_t>(i));
  EXPECT_EQ(d.count(), 20000u);
}

TEST(string_dictionary, clear_forgets_every_value_and_the_cache) {
  string_dictionary d;
  d.index_of("chrome");
  d.index_of("firefox");
  d.clear();
  EXPECT_EQ(d.count(), 0u);
  EXPECT_EQ(d.index_of("firefox"), 0u) << "a value cached before clear() is a new entry after it";
  EXPECT_EQ(d.index_of("chrome"), 1u);
  EXPECT_EQ(d.at(0), "firefox");
}

}  // namespace
}  // namespace clicktrail::format::parquet
