#include "base/json_string.h"

#include <gtest/gtest.h>

namespace clicktrail::base {
namespace {

TEST(json_string, escapes_quotes_backslashes_and_control_characters) {
  std::string out;
  append_json_string(out, std::string_view("a\"b\\c\nd\te\x01\x1f\r", 12));
  EXPECT_EQ(out, R"("a\"b\\c\nd\te\u0001\u001f\r")");
}

TEST(json_string, keeps_utf8_as_it_is) {
  std::string out;
  append_json_string(out, "héllo 日本");
  EXPECT_EQ(out, "\"héllo 日本\"");
}

TEST(json_string, bytes_that_are_not_utf8_become_replacement_characters) {
  const std::string r = "\xef\xbf\xbd";  // U+FFFD
  const std::pair<std::string_view, std::string> cases[] = {
      {"\xff", '"' + r + '"'},                          // never in UTF-8
      {"a\xc3", "\"a" + r + '"'},                       // a sequence cut short at the end
      {"\xc3(", '"' + r + "(\""},                       // … or by a byte that does not continue it
      {"\xc0\xaf", '"' + r + r + '"'},                  // overlong '/'
      {"\xed\xa0\x80", '"' + r + r + r + '"'},          // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", '"' + r + r + r + r + '"'},  // above U+10FFFF
      {"\xf0\x9f\x98\x80!", "\"\xf0\x9f\x98\x80!\""},   // U+1F600 stays as it is
  };
  for (const auto& [in, expected] : cases) {
    std::string out;
    append_json_string(out, in);
    EXPECT_EQ(out, expected);
  }
}

}  // namespace
}  // namespace clicktrail::base

#include "base/text.h"

namespace clicktrail::base {
namespace {

TEST(text, trim_and_iequals) {
  EXPECT_EQ(trim(" \t gzip \r\n"), "gzip");
  EXPECT_EQ(trim("   "), "");
  EXPECT_TRUE(iequals("Application/JSON", "application/json"));
  EXPECT_FALSE(iequals("gzip", "gzip2"));
}

}  // namespace
}  // namespace clicktrail::base
