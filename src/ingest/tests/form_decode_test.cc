#include "ingest/form_decode.h"

#include <gtest/gtest.h>

namespace clicktrail::ingest {
namespace {

TEST(form_decode, copies_text_without_escapes) {
  EXPECT_EQ(form_decode(""), "");
  EXPECT_EQ(form_decode("newsletter"), "newsletter");
  EXPECT_EQ(form_decode("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(form_decode, reads_plus_as_a_space_and_percent_escapes_as_bytes) {
  EXPECT_EQ(form_decode("a+b"), "a b");
  EXPECT_EQ(form_decode("+"), " ");
  EXPECT_EQ(form_decode("%41%62c"), "Abc");
  EXPECT_EQ(form_decode("news%20letter+2024"), "news letter 2024");
  EXPECT_EQ(form_decode("caf%C3%A9"), "caf\xC3\xA9");
  EXPECT_EQ(form_decode("%2B%25"), "+%");  // escaped specials are data, not escapes again
}

TEST(form_decode, keeps_a_malformed_escape_as_it_is) {
  EXPECT_EQ(form_decode("%"), "%");
  EXPECT_EQ(form_decode("50%"), "50%");
  EXPECT_EQ(form_decode("%4"), "%4");
  EXPECT_EQ(form_decode("%4G"), "%4G");
  EXPECT_EQ(form_decode("%%41"), "%A");
  EXPECT_EQ(form_decode("100%+x"), "100% x");
}

TEST(form_decode, refuses_what_decodes_to_invalid_utf8) {
  EXPECT_EQ(form_decode("%FF"), std::nullopt);
  EXPECT_EQ(form_decode("ok%C3"), std::nullopt);  // a character cut short
  EXPECT_EQ(form_decode("\xFF"), std::nullopt);
}

}  // namespace
}  // namespace clicktrail::ingest
