#include "format/gzip.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "format/tests/gunzip.h"

namespace clicktrail::format {
namespace {

using test::gunzip;

// What the members are made of: nothing, a line, lines that repeat (a clickstream), and random
// bytes, which no level compresses: the output must still fit (igzip then stores them).
std::vector<std::string> inputs() {
  std::string lines;
  for (int i = 0; i < 30000; ++i)
    lines += R"({"event_id":")" + std::to_string(i * 7919 % 100003) +
             R"(","page_url":"https://x.example/post/)" + std::to_string(i % 37) + "\"}\n";
  std::string noise(3 << 20, '\0');
  std::mt19937_64 rng(7);
  for (char& c : noise) c = static_cast<char>(rng());
  return {"", "{\"a\":1}\n", lines, noise};
}

TEST(gzip, every_level_reads_back_with_zlib) {
  for (const std::string& in : inputs()) {
    for (int level = 1; level <= 12; ++level) {
      std::string out;
      ASSERT_TRUE(append_gzip_member(in, level, out).ok())
          << "level " << level << ", " << in.size() << " bytes";
      int members = 0;
      EXPECT_EQ(gunzip(out, members), in) << "level " << level << ", " << in.size() << " bytes";
      EXPECT_EQ(members, 1);
      EXPECT_LE(out.size(), in.size() + in.size() / 1000 + 512) << "level " << level;
    }
  }
}

// Level 1 (igzip) still compresses a clickstream several times over, and level 6 smaller still:
// the trade docs/sink.md's table of levels describes.
TEST(gzip, higher_levels_are_smaller) {
  const std::string lines = inputs()[2];
  std::string one, six;
  ASSERT_TRUE(append_gzip_member(lines, 1, one).ok());
  ASSERT_TRUE(append_gzip_member(lines, 6, six).ok());
  EXPECT_LT(one.size(), lines.size() / 5);
  EXPECT_LT(six.size(), one.size());
}

TEST(gzip, members_append_to_what_is_there) {
  std::string out;
  ASSERT_TRUE(append_gzip_member("first\n", 1, out).ok());
  ASSERT_TRUE(append_gzip_member("second\n", 6, out).ok());
  ASSERT_TRUE(append_gzip_member("third\n", 1, out).ok());
  int members = 0;
  EXPECT_EQ(gunzip(out, members), "first\nsecond\nthird\n");
  EXPECT_EQ(members, 3);
}

TEST(gzip, a_level_out_of_range_is_refused_by_name) {
  for (const int level : {0, 13, -1}) {
    std::string out = "kept";
    const auto s = append_gzip_member("x", level, out);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.err().message.find("level " + std::to_string(level)), std::string::npos) << s.err().message;
    EXPECT_EQ(out, "kept");
  }
}

}  // namespace
}  // namespace clicktrail::format
