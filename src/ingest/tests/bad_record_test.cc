#include "ingest/bad_record.h"

#include <gtest/gtest.h>

namespace clicktrail::ingest {
namespace {

TEST(bad_record, keeps_reason_detail_and_raw_bytes_in_base64) {
  const std::string raw("{\"a\":\xff}", 7);  // not UTF-8: hence base64
  const auto record = encode_bad_record({"invalid_utf8", "body is \"bad\"", "demo", 1764000000000, 2, raw});
  EXPECT_EQ(
      record,
      R"({"reason":"invalid_utf8","detail":"body is \"bad\"","site":"demo","collector_ts":1764000000000,)"
      R"("index":2,"raw_base64":"eyJhIjr/fQ=="})");
}

TEST(bad_record, base64_padding_and_raw_cap) {
  EXPECT_NE(encode_bad_record({"r", "", "", 0, std::nullopt, "ab"}).find(R"("raw_base64":"YWI=")"),
            std::string::npos);
  EXPECT_NE(encode_bad_record({"r", "", "", 0, std::nullopt, "abc"}).find(R"("raw_base64":"YWJj")"),
            std::string::npos);
  const auto huge = encode_bad_record({"r", "", "", 0, std::nullopt, std::string(1 << 20, 'x')});
  EXPECT_LT(huge.size(), max_raw_bytes * 4 / 3 + 200);
  EXPECT_EQ(encode_bad_record({"r", "", "", 0, std::nullopt, ""}).find("index"), std::string::npos);
}

}  // namespace
}  // namespace clicktrail::ingest
