// decode_batch at its limits: exactly the limit passes, one more does not; text is cut, not
// refused, and never in the middle of a character.

#include <gtest/gtest.h>

#include <string>

#include "event/decode.h"
#include "event/fields.h"

namespace clicktrail::event {
namespace {

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// {"type":"a","page_title":"xx…"} padded with x to exactly `size` bytes.
std::string event_of_size(std::size_t size) {
  const std::string shell = R"({"type":"a","page_title":""})";
  return R"({"type":"a","page_title":")" + std::string(size - shell.size(), 'x') + R"("})";
}

TEST(decode_limits, body_depth_at_the_limit_and_one_over) {
  const limits lim;  // max_depth 16
  const std::string at_limit = repeat("[", 16) + "1" + repeat("]", 16);
  const batch ok = decode_batch(at_limit, lim);
  ASSERT_FALSE(ok.refused) << ok.refused->detail;
  EXPECT_EQ(ok.rejected.at(0).what.why, reason::not_an_object);

  const std::string over = repeat("[", 17) + "1" + repeat("]", 17);
  const batch refused = decode_batch(over, lim);
  ASSERT_TRUE(refused.refused);
  EXPECT_EQ(refused.refused->why, reason::too_deep);
  EXPECT_NE(refused.refused->detail.find("more than 16 deep"), std::string::npos) << refused.refused->detail;

  // The same through an event: the envelope, the array, the event and props are levels too.
  const std::string deep_props =
      R"({"events":[{"type":"a","props":)" + repeat(R"({"a":)", 14) + "1" + repeat("}", 14) + "}]}";
  EXPECT_EQ(decode_batch(deep_props).refused.value_or(problem{}).why, reason::too_deep);
}

TEST(decode_limits, events_at_the_limit_and_one_over) {
  limits lim;
  lim.max_events = 3;
  EXPECT_EQ(decode_batch(R"([{"type":"a"},{"type":"a"},{"type":"a"}])", lim).events.size(), 3u);
  const batch b = decode_batch(R"({"events":[{"type":"a"},{"type":"a"},{"type":"a"},{"type":"a"}]})", lim);
  ASSERT_TRUE(b.refused);
  EXPECT_EQ(b.refused->why, reason::too_many_events);
  EXPECT_EQ(b.refused->detail, "the body has 4 events, over the limit of 3; send them in several requests");

  const std::string five_hundred_and_one = "[" + repeat(R"({"type":"a"},)", 500) + R"({"type":"a"}])";
  EXPECT_EQ(decode_batch(five_hundred_and_one).refused.value_or(problem{}).why, reason::too_many_events);
}

TEST(decode_limits, event_size_at_the_limit_and_one_over) {
  limits lim;
  lim.max_event_bytes = 100;
  const std::string exact = event_of_size(100), over = event_of_size(101);
  ASSERT_EQ(exact.size(), 100u);

  const batch b = decode_batch("[" + exact + "," + over + "]", lim);
  ASSERT_EQ(b.events.size(), 1u);
  ASSERT_EQ(b.rejected.size(), 1u);
  EXPECT_EQ(b.rejected[0].index, 1u);
  EXPECT_EQ(b.rejected[0].what.why, reason::event_too_large);
  EXPECT_EQ(b.rejected[0].what.detail,
            "event 1 is 101 bytes of JSON, over the limit of 100; shorten its text or props");
  EXPECT_EQ(b.rejected[0].raw, over.substr(0, 100));

  // A lone event is measured without the whitespace around it.
  EXPECT_EQ(decode_batch("\n " + exact + " \n", lim).events.size(), 1u);
  EXPECT_EQ(decode_batch(" " + over, lim).rejected.at(0).what.why, reason::event_too_large);
}

TEST(decode_limits, raw_text_of_a_large_event_is_cut_on_a_character_boundary) {
  limits lim;
  lim.max_event_bytes = 40;
  // 38 bytes of ASCII, then "€" (3 bytes) straddles the limit.
  const std::string body = R"([{"type":"a","page_title":"aaaaaaaaaaaa)"
                           "\xE2\x82\xAC"
                           R"(xxxxxx"}])";
  const batch b = decode_batch(body, lim);
  ASSERT_EQ(b.rejected.size(), 1u);
  EXPECT_EQ(b.rejected[0].raw, R"({"type":"a","page_title":"aaaaaaaaaaaa)");
  EXPECT_EQ(b.rejected[0].raw.size(), 38u);
}

TEST(decode_limits, every_text_field_is_cut_at_its_column_limit) {
  for (const field& f : all_fields()) {
    if (!f.from_tracker || f.check != rule::none || !std::holds_alternative<opt_string event::*>(f.where))
      continue;
    SCOPED_TRACE(std::string(f.name));
    const std::string exact =
        R"({"type":"a",")" + std::string(f.name) + R"(":")" + std::string(f.max_bytes, 'v') + R"("})";
    const batch kept = decode_batch(exact);
    ASSERT_EQ(kept.events.size(), 1u);
    EXPECT_FALSE(kept.events[0].truncated);

    const std::string over =
        R"({"type":"a",")" + std::string(f.name) + R"(":")" + std::string(f.max_bytes + 1, 'v') + R"("})";
    const batch cut = decode_batch(over);
    ASSERT_EQ(cut.events.size(), 1u) << "never rejected for length";
    EXPECT_TRUE(cut.events[0].truncated);
    const auto* m = std::get_if<opt_string event::*>(&f.where);
    ASSERT_TRUE(m);
    EXPECT_EQ(cut.events[0].*(*m), std::string(f.max_bytes, 'v'));
  }
}

TEST(decode_limits, the_column_limits) {
  const auto limit = [](std::string_view name) { return find_field(name)->max_bytes; };
  EXPECT_EQ(limit("page_url"), 8192u);
  EXPECT_EQ(limit("referrer"), 8192u);
  EXPECT_EQ(limit("target_href"), 8192u);
  for (const auto* name : {"page_title", "target_text", "target_selector", "target_classes", "ua"}) {
    EXPECT_EQ(limit(name), 1024u) << name;
  }
  for (const auto* name : {"event_id", "anonymous_id", "user_id", "session_id"})
    EXPECT_EQ(limit(name), 128u) << name;
  for (const auto* name : {"page_path", "locale", "timezone", "target_tag", "utm_source", "ip", "geo_city"}) {
    EXPECT_EQ(limit(name), 256u) << name;
  }
}

TEST(decode_limits, a_multi_byte_character_straddling_the_limit_goes_whole) {
  // page_path: 256 bytes. 255 'a' + "é" (2 bytes) ends at 257: the é goes.
  batch b = decode_batch(R"({"type":"a","page_path":")" + std::string(255, 'a') + "\xC3\xA9" + R"("})");
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0].page_path, std::string(255, 'a'));
  EXPECT_TRUE(b.events[0].truncated);

  // 254 'a' + "😀" (4 bytes) + "b": the emoji straddles 256.
  b = decode_batch(R"({"type":"a","page_path":")" + std::string(254, 'a') + "\xF0\x9F\x98\x80" + R"(b"})");
  EXPECT_EQ(b.events.at(0).page_path, std::string(254, 'a'));

  // 252 'a' + "😀" ends exactly at 256: kept whole, nothing cut.
  b = decode_batch(R"({"type":"a","page_path":")" + std::string(252, 'a') + "\xF0\x9F\x98\x80" + R"("})");
  EXPECT_EQ(b.events.at(0).page_path, std::string(252, 'a') + "\xF0\x9F\x98\x80");
  EXPECT_FALSE(b.events.at(0).truncated);

  // Escapes count as the characters they stand for: 256 × "\u00e9" is 512 bytes of UTF-8.
  b = decode_batch(R"({"type":"a","page_path":")" + repeat("\\u00e9", 256) + R"("})");
  EXPECT_EQ(b.events.at(0).page_path, repeat("\xC3\xA9", 128));
}

TEST(decode_limits, site_over_its_limit_is_refused_not_cut) {
  EXPECT_EQ(decode_batch(R"({"type":"a","site":")" + std::string(256, 's') + R"("})").events.size(), 1u);
  const batch b = decode_batch(R"([{"type":"a","site":")" + std::string(257, 's') + R"("}])");
  ASSERT_EQ(b.rejected.size(), 1u);
  EXPECT_EQ(b.rejected[0].what.why, reason::invalid_field);
}

TEST(decode_limits, type_is_at_most_64_characters) {
  EXPECT_EQ(decode_batch(R"({"type":"a)" + std::string(63, 'b') + R"("})").events.size(), 1u);
  const batch b = decode_batch(R"({"type":"a)" + std::string(64, 'b') + R"("})");
  EXPECT_EQ(b.rejected.at(0).what.why, reason::invalid_type);
}

TEST(decode_limits, props_size_at_the_limit_and_one_over) {
  limits lim;
  lim.max_props_bytes = 100;
  // {"k":"…"} is 8 bytes around the value; the whitespace sent does not count.
  const std::string exact = R"({ "k" : ")" + std::string(92, 'p') + R"(" })";
  const batch ok = decode_batch(R"({"type":"a","props":)" + exact + "}", lim);
  ASSERT_EQ(ok.events.size(), 1u);
  EXPECT_EQ(ok.events[0].props->size(), 100u);

  const std::string over = R"({"k":")" + std::string(93, 'p') + R"("})";
  const batch b = decode_batch(R"({"type":"a","props":)" + over + "}", lim);
  ASSERT_EQ(b.rejected.size(), 1u);
  EXPECT_EQ(b.rejected[0].what.why, reason::props_invalid);
  EXPECT_EQ(b.rejected[0].what.detail,
            "props is 101 bytes as compact JSON, over the limit of 100; send fewer or shorter properties");
}

TEST(decode_limits, props_depth_at_the_limit_and_one_over) {
  const limits lim;  // max_props_depth 8; props itself is the first level
  const std::string eight = repeat(R"({"a":)", 7) + "[1]" + repeat("}", 7);
  EXPECT_EQ(decode_batch(R"({"type":"a","props":)" + eight + "}", lim).events.size(), 1u);

  const std::string nine = repeat(R"({"a":)", 8) + "[1]" + repeat("}", 8);
  const batch b = decode_batch(R"({"type":"a","props":)" + nine + "}", lim);
  ASSERT_EQ(b.rejected.size(), 1u);
  EXPECT_EQ(b.rejected[0].what.why, reason::props_invalid);
  EXPECT_EQ(b.rejected[0].what.detail, "props nests deeper than 8 levels of objects and arrays; flatten it");
}

TEST(decode_limits, integer_ranges) {
  struct value {
    std::string_view field, json;
    bool ok;
  };
  for (const value& v : {
           value{"scroll_depth", "0", true},
           value{"scroll_depth", "100", true},
           value{"scroll_depth", "101", false},
           value{"scroll_depth", "-1", false},
           value{"x", "-2147483648", true},
           value{"x", "2147483647", true},
           value{"x", "2147483648", false},
           value{"y", "-2147483649", false},
           value{"viewport_w", "0", true},
           value{"viewport_w", "-1", false},
           value{"screen_h", "2147483647", true},
           value{"engaged_ms", "-5", false},
           value{"client_ts", "0", true},
           value{"client_ts", "-1", false},
           value{"client_ts", "253402300799999", true},
           value{"client_ts", "253402300800000", false},
           value{"sent_ts", "9223372036854775807", false},
           value{"sent_ts", "18446744073709551615", false},
           value{"sent_ts", "1e300", false},
           value{"x", "-0.0", true},
       }) {
    const std::string body = R"({"type":"a",")" + std::string(v.field) + R"(":)" + std::string(v.json) + "}";
    const batch b = decode_batch(body);
    EXPECT_EQ(b.events.size(), v.ok ? 1u : 0u) << body;
    if (!v.ok && !b.rejected.empty()) {
      EXPECT_EQ(b.rejected[0].what.why, reason::invalid_field) << body;
      EXPECT_EQ(b.rejected[0].what.detail.rfind(std::string(v.field) + " must be", 0), 0u)
          << b.rejected[0].what.detail;
    }
  }
  const batch ts = decode_batch(R"({"type":"a","client_ts":-1})");
  EXPECT_EQ(
      ts.rejected.at(0).what.detail,
      "client_ts must be whole milliseconds since 1970 from 0 to 253402300799999 (the end of year 9999), "
      "got -1; send a Date.now() value");
  const batch depth = decode_batch(R"({"type":"a","scroll_depth":150})");
  EXPECT_EQ(depth.rejected.at(0).what.detail,
            "scroll_depth must be a whole number from 0 to 100, got 150; round it or leave it out");
}

TEST(decode_limits, a_one_mebibyte_body_of_500_events) {
  std::string body = R"({"sent_ts":1700000000999,"site":"shop","events":[)";
  for (int i = 0; i < 500; ++i) {
    if (i) body += ',';
    body += R"({"event_id":"0190e5b4-5a3c-7c6e-9a44-)" + std::to_string(100000000000 + i) +
            R"(","type":"click","client_ts":)" + std::to_string(1700000000000 + i) +
            R"(,"anonymous_id":"anon-12345","session_id":"sess-67890","page_url":"https://shop.example/p/)" +
            std::string(1200, 'u') + R"(","page_title":"Caf\u00e9 ☕ )" + std::string(400, 't') +
            R"(","target_tag":"button","target_text":"Buy \"now\"","x":)" + std::to_string(i) +
            R"(,"y":200,"viewport_w":1280,"viewport_h":800,"props":{"sku":"A-)" + std::to_string(i) +
            R"(","qty":2,"price":19.99,"tags":["a","b"]}})";
  }
  body += "]}";
  ASSERT_GT(body.size(), 900u * 1024);
  ASSERT_LE(body.size(), 1024u * 1024);
  const batch b = decode_batch(body);
  ASSERT_FALSE(b.refused) << b.refused->detail;
  ASSERT_TRUE(b.rejected.empty()) << b.rejected[0].what.detail;
  ASSERT_EQ(b.events.size(), 500u);
  EXPECT_EQ(b.events[499].x, 499);
  EXPECT_EQ(b.events[499].sent_ts, 1700000000999);
  EXPECT_EQ(b.events[0].props, R"({"sku":"A-0","qty":2,"price":19.99,"tags":["a","b"]})");
}

}  // namespace
}  // namespace clicktrail::event
