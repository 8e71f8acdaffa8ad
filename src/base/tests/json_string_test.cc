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

}  // namespace
}  // namespace clicktrail::base

#include "base/base64.h"

namespace clicktrail::base {
namespace {

TEST(base64, rfc4648_vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [in, expected] : vectors) {
    std::string out;
    append_base64(out, in);
    EXPECT_EQ(out, expected) << in;
  }
  std::string binary;
  append_base64(binary, std::string_view("\xff\x00\xfe", 3));
  EXPECT_EQ(binary, "/wD+");
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
