#include "ingest/pixel.h"

#include <gtest/gtest.h>

namespace clicktrail::ingest {
namespace {

TEST(pixel, builds_one_event_from_the_query) {
  const auto parsed = parse_pixel_query(
      "site=blog&url=https%3A%2F%2Fme.github.io%2Fa%3Fb%3D1&title=Hello+W%C3%B6rld&ts=1764000000000&aid=v1");
  const auto* q = std::get_if<pixel_query>(&parsed);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->site, "blog");
  EXPECT_EQ(
      q->event_json,
      R"({"type":"page_view","page_url":"https://me.github.io/a?b=1","page_title":"Hello Wörld","client_ts":1764000000000,"anonymous_id":"v1"})");
}

TEST(pixel, an_explicit_type_is_kept) {
  const auto parsed = parse_pixel_query("type=email_open&site=s");
  EXPECT_EQ(std::get<pixel_query>(parsed).event_json, R"({"type":"email_open"})");
}

TEST(pixel, unknown_parameters_bad_numbers_and_bad_utf8_are_refused) {
  EXPECT_EQ(std::get<refusal>(parse_pixel_query("site=s&colour=red")).code, "unknown_parameter");
  EXPECT_EQ(std::get<refusal>(parse_pixel_query("site=s&ts=yesterday")).code, "invalid_field");
  EXPECT_EQ(std::get<refusal>(parse_pixel_query("site=s&title=%FF%FE")).code, "invalid_utf8");
}

TEST(pixel, the_gif_is_a_real_1x1_gif) {
  const auto gif = transparent_gif();
  ASSERT_EQ(gif.size(), 43u);
  EXPECT_EQ(gif.substr(0, 6), "GIF89a");
  EXPECT_EQ(gif[6], 1);  // width
  EXPECT_EQ(gif[8], 1);  // height
  EXPECT_EQ(gif.back(), ';');
}

}  // namespace
}  // namespace clicktrail::ingest
