#include "base/text.h"

#include <gtest/gtest.h>

#include <string>

#include "base/utf8.h"

namespace clicktrail::base {
namespace {

TEST(text, first_where_finds_the_first_match_from_a_position_or_gives_the_size) {
  const auto special = [](char c) { return c == '%' || c == '+'; };
  EXPECT_EQ(first_where("a+b%20", 0, special), 1u);
  EXPECT_EQ(first_where("a+b%20", 2, special), 3u);
  EXPECT_EQ(first_where("plain", 0, special), 5u);
  EXPECT_EQ(first_where("", 0, special), 0u);
  EXPECT_EQ(first_where("a+", 2, special), 2u);  // from the end: the size
}

TEST(text, hex_value_reads_either_case_and_refuses_everything_else) {
  EXPECT_EQ(hex_value('0'), 0);
  EXPECT_EQ(hex_value('9'), 9);
  EXPECT_EQ(hex_value('a'), 10);
  EXPECT_EQ(hex_value('F'), 15);
  int digits = 0;
  for (int c = 0; c < 256; ++c) digits += hex_value(static_cast<char>(c)) >= 0 ? 1 : 0;
  EXPECT_EQ(digits, 22);  // 0-9, a-f, A-F and nothing else
  EXPECT_EQ(hex_value('g'), -1);
  EXPECT_EQ(hex_value('\xff'), -1);
}

TEST(utf8, is_ascii_looks_at_every_byte_of_every_length) {
  // Each length up to two words and a bit, with the one high byte at each position: the word
  // loop, the overlapping last word and the short forms all see it.
  for (std::size_t size = 0; size <= 19; ++size) {
    std::string s(size, 'a');
    EXPECT_TRUE(is_ascii(s)) << size;
    for (std::size_t at = 0; at < size; ++at) {
      std::string t = s;
      t[at] = static_cast<char>(0x80);
      EXPECT_FALSE(is_ascii(t)) << size << " " << at;
    }
  }
  EXPECT_FALSE(is_ascii("caf\xc3\xa9"));  // é, well-formed but not ASCII
  EXPECT_TRUE(is_ascii(std::string_view("nul\0inside", 10)));
}

}  // namespace
}  // namespace clicktrail::base
