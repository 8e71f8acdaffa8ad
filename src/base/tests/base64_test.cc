#include "base/base64.h"

#include <gtest/gtest.h>

#include <random>

namespace clicktrail::base {
namespace {

std::string encoded(std::string_view bytes) {
  std::string out;
  append_base64(out, bytes);
  return out;
}

TEST(base64, rfc4648_test_vectors_both_ways) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, text] : vectors) {
    EXPECT_EQ(encoded(plain), text);
    EXPECT_EQ(decode_base64(text), std::string(plain)) << text;
  }
  EXPECT_EQ(encoded(std::string_view("\xff\x00\xfe", 3)), "/wD+");
}

TEST(base64, padding_may_be_left_out_but_nothing_else_is_accepted) {
  EXPECT_EQ(decode_base64("Zg"), "f");
  EXPECT_EQ(decode_base64("Zm8"), "fo");
  EXPECT_FALSE(decode_base64("Z"));       // 6 bits make no byte
  EXPECT_FALSE(decode_base64("Zm9v\n"));  // whitespace
  EXPECT_FALSE(decode_base64("Zm-v"));    // the URL-safe alphabet
  EXPECT_FALSE(decode_base64("Zg==="));   // too much padding
}

TEST(base64, random_bytes_round_trip) {
  std::mt19937 rng(7);
  for (int n = 0; n < 200; ++n) {
    std::string bytes(static_cast<std::size_t>(n), '\0');
    for (auto& b : bytes) b = static_cast<char>(rng());
    EXPECT_EQ(decode_base64(encoded(bytes)), bytes);
  }
}

TEST(base64, either_alphabet_with_or_without_padding) {
  // "{\"a\":\"\xff?\"}" needs 62 and 63: standard "/" and "+" are URL-safe "_" and "-".
  const std::string plain = "{\"a\":\"\xff\xfe?>\"}";
  const std::string standard = encoded(plain);
  std::string url = standard;
  for (char& c : url) c = c == '+' ? '-' : c == '/' ? '_' : c;
  ASSERT_NE(url, standard);
  std::string url_unpadded = url;
  while (url_unpadded.ends_with('=')) url_unpadded.pop_back();
  EXPECT_EQ(decode_base64_any(standard), plain);
  EXPECT_EQ(decode_base64_any(url), plain);
  EXPECT_EQ(decode_base64_any(url_unpadded), plain);
  EXPECT_FALSE(decode_base64(url));
  EXPECT_FALSE(decode_base64_any("Zm9v\n"));
  EXPECT_FALSE(decode_base64_any("Z"));
  EXPECT_FALSE(decode_base64_any("Zm.v"));
}

}  // namespace
}  // namespace clicktrail::base
