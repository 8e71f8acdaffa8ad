#include "enrich/lru_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace clicktrail::enrich {
namespace {

TEST(lru_cache, finds_what_was_inserted_and_misses_the_rest) {
  lru_cache<int> cache(4);
  EXPECT_EQ(cache.find("a"), nullptr);
  EXPECT_EQ(cache.insert("a", 1), 1);
  ASSERT_NE(cache.find("a"), nullptr);
  EXPECT_EQ(*cache.find("a"), 1);
  EXPECT_EQ(cache.find("b"), nullptr);
  EXPECT_EQ(cache.size(), 1U);
}

TEST(lru_cache, holds_at_most_max_entries_evicting_the_least_recently_inserted) {
  lru_cache<int> cache(3);
  for (int i = 0; i < 10; ++i) cache.insert(std::to_string(i), i);
  EXPECT_EQ(cache.size(), 3U);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(cache.find(std::to_string(i)), nullptr) << i;
  for (int i = 7; i < 10; ++i) EXPECT_NE(cache.find(std::to_string(i)), nullptr) << i;
}

TEST(lru_cache, a_found_entry_becomes_the_most_recently_used) {
  lru_cache<int> cache(3);
  cache.insert("a", 1);
  cache.insert("b", 2);
  cache.insert("c", 3);
  ASSERT_NE(cache.find("a"), nullptr);  // order now a, c, b: b goes first
  cache.insert("d", 4);
  EXPECT_EQ(cache.find("b"), nullptr);
  EXPECT_NE(cache.find("a"), nullptr);
  cache.insert("e", 5);  // order was a, d, c: c goes
  EXPECT_EQ(cache.find("c"), nullptr);
  EXPECT_NE(cache.find("d"), nullptr);
  EXPECT_NE(cache.find("e"), nullptr);
  EXPECT_EQ(cache.size(), 3U);
}

TEST(lru_cache, inserting_a_present_key_replaces_its_value_without_growing) {
  lru_cache<std::string> cache(2);
  cache.insert("a", "one");
  cache.insert("b", "two");
  EXPECT_EQ(cache.insert("a", "uno"), "uno");  // and a becomes the most recent
  EXPECT_EQ(cache.size(), 2U);
  cache.insert("c", "three");
  EXPECT_EQ(cache.find("b"), nullptr);
  ASSERT_NE(cache.find("a"), nullptr);
  EXPECT_EQ(*cache.find("a"), "uno");
}

TEST(lru_cache, keys_are_copied_not_borrowed) {
  lru_cache<int> cache(2);
  {
    std::string key = "Mozilla/5.0";
    cache.insert(key, 1);
    key.assign("overwritten");
  }
  EXPECT_NE(cache.find("Mozilla/5.0"), nullptr);
}

TEST(lru_cache, a_bound_of_zero_still_keeps_the_last_entry) {
  lru_cache<int> cache(0);
  cache.insert("a", 1);
  cache.insert("b", 2);
  EXPECT_EQ(cache.size(), 1U);
  EXPECT_NE(cache.find("b"), nullptr);
}

}  // namespace
}  // namespace clicktrail::enrich
