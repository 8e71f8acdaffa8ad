#include "ingest/body.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace clicktrail::ingest {
namespace {

std::string gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST(body, accepts_json_and_text_plain_with_parameters) {
  EXPECT_FALSE(check_content_type("application/json"));
  EXPECT_FALSE(check_content_type("Application/JSON; charset=utf-8"));
  EXPECT_FALSE(check_content_type("text/plain;charset=UTF-8"));
  const auto refused = check_content_type("application/x-www-form-urlencoded");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 415u);
  EXPECT_EQ(refused->code, "unsupported_content_type");
  EXPECT_TRUE(check_content_type(""));
}

TEST(body, inflates_gzip) {
  const std::string json = R"({"type":"page_view"})";
  std::string body = gzip(json);
  EXPECT_FALSE(decode_content(body, "gzip", 1024));
  EXPECT_EQ(body, json);
}

TEST(body, a_gzip_bomb_stops_at_the_cap) {
  std::string body = gzip(std::string(64 << 20, 'a'));  // 64 MiB of 'a' in ~64 KiB
  ASSERT_LT(body.size(), 100'000u);
  const auto refused = decode_content(body, "gzip", 1 << 20);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413u);
  EXPECT_EQ(refused->code, "body_too_large");
}

TEST(body, inflating_to_exactly_the_cap_is_fine) {
  std::string body = gzip(std::string(4096, 'x'));
  EXPECT_FALSE(decode_content(body, "gzip", 4096));
  EXPECT_EQ(body.size(), 4096u);
  std::string over = gzip(std::string(4097, 'x'));
  EXPECT_TRUE(decode_content(over, "gzip", 4096));
}

TEST(body, corrupt_truncated_or_trailing_gzip_is_400) {
  const std::string good = gzip(std::string(1000, 'y'));
  for (std::string bad :
       {std::string("not gzip at all"), good.substr(0, good.size() / 2), good + "garbage"}) {
    const auto refused = decode_content(bad, "gzip", 1 << 20);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400u);
    EXPECT_EQ(refused->code, "invalid_gzip");
  }
}

TEST(body, other_encodings_are_415_and_plain_bodies_are_capped) {
  std::string body = "{}";
  EXPECT_EQ(decode_content(body, "br", 1024)->status, 415u);
  EXPECT_FALSE(decode_content(body, "identity", 1024));
  std::string big(2048, ' ');
  EXPECT_EQ(decode_content(big, "", 1024)->status, 413u);
}

}  // namespace
}  // namespace clicktrail::ingest
