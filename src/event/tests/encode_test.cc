// encode: the canonical record; decode_stored: reading it back, and refusing anything else.

#include "event/encode.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

namespace clicktrail::event {
namespace {

constexpr std::string_view id = "0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f60";

event minimal() {
  event e;
  e.event_id = id;
  e.type = "click";
  e.site = "shop";
  e.collector_ts = 1'700'000'000'300;
  e.event_ts = 1'700'000'000'200;
  return e;
}

std::string encoded(const event& e) {
  std::string out;
  encode(e, out);
  return out;
}

TEST(encode, fields_in_schema_order_absent_ones_left_out) {
  event e = minimal();
  e.client_ts = 1'700'000'000'000;
  e.sent_ts = 1'700'000'000'100;
  e.anonymous_id = "anon";
  e.page_url = "https://shop.example/";
  e.utm_source = "news";
  e.x = 10;
  e.y = -20;
  e.scroll_depth = 0;
  e.ua = "Mozilla/5.0";
  e.is_bot = false;
  e.ip = "203.0.113.0";
  e.props = R"({"a":[1,2]})";
  e.truncated = true;
  EXPECT_EQ(encoded(e),
            R"({"event_id":"0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f60","type":"click","site":"shop",)"
            R"("client_ts":1700000000000,"sent_ts":1700000000100,"collector_ts":1700000000300,)"
            R"("event_ts":1700000000200,"anonymous_id":"anon","page_url":"https://shop.example/",)"
            R"("utm_source":"news","x":10,"y":-20,"scroll_depth":0,"ua":"Mozilla/5.0",)"
            R"("ip":"203.0.113.0","props":{"a":[1,2]},"truncated":true,"schema_version":1,"is_bot":false})");
}

TEST(encode, the_fields_always_written) {
  EXPECT_EQ(encoded(event{}),
            R"({"event_id":"","type":"","site":"","collector_ts":0,"event_ts":0,"schema_version":1})");
}

TEST(encode, appends_to_what_the_string_holds) {
  std::string out = "key\t";
  encode(minimal(), out);
  encode(minimal(), out);
  EXPECT_EQ(out.rfind("key\t{\"event_id\"", 0), 0u);
  EXPECT_NE(out.find("}{\"event_id\""), std::string::npos);
}

TEST(encode, empty_strings_are_values) {
  event e = minimal();
  e.user_id = "";
  EXPECT_NE(encoded(e).find(R"("user_id":"")"), std::string::npos);
}

TEST(encode, escapes_quotes_backslashes_and_control_characters) {
  event e = minimal();
  e.page_title =
      std::string("a\"b\\c\n\t\x01\x1f\x7f/") + std::string(1, '\0') + "caf\xC3\xA9 \xF0\x9F\x98\x80";
  const std::string out = encoded(e);
  EXPECT_NE(out.find("\"page_title\":\"a\\\"b\\\\c\\u000a\\u0009\\u0001\\u001f\x7f/\\u0000caf\xC3\xA9 "
                     "\xF0\x9F\x98\x80\""),
            std::string::npos)
      << out;
}

TEST(encode, strings_with_escapes_in_every_position) {
  // The fast path reads sixteen bytes at a time, and a string's last bytes as one more block:
  // put each kind of byte that needs a look at every offset of strings shorter than a block, of
  // one, just over one and of two and a half. DEL and 'é' need none (é is valid UTF-8).
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"\"", "\\\""},      {"\\", "\\\\"},   {"\n", "\\u000a"},        {"\x01", "\\u0001"},
      {"\x1f", "\\u001f"}, {"\x7f", "\x7f"}, {"\xC3\xA9", "\xC3\xA9"}, {"\xFF", "\xEF\xBF\xBD"},
  };
  for (const auto& [byte, written] : cases) {
    for (const std::size_t size : {5u, 15u, 16u, 17u, 40u}) {
      for (std::size_t at = 0; at < size; ++at) {
        std::string text(size, 'x');
        text.replace(at, 1, byte);
        event e = minimal();
        e.page_title = text;
        std::string want = text;
        want.replace(at, byte.size(), written);
        EXPECT_NE(encoded(e).find("\"page_title\":\"" + want + "\""), std::string::npos)
            << size << " " << at << " " << written;
      }
    }
  }
}

TEST(encode, plain_strings_short_and_long_and_an_escape_at_their_end) {
  // Plain text is copied in one piece (write_string's on the stack up to 126 bytes, encode's
  // into its output, then looked at in blocks of 16); an escape anywhere, the last byte included,
  // takes the careful path.
  for (const std::size_t size : {1u, 15u, 16u, 17u, 31u, 32u, 33u, 125u, 126u, 127u, 300u}) {
    event e = minimal();
    e.page_title = std::string(size, 'p');
    EXPECT_NE(encoded(e).find("\"page_title\":\"" + *e.page_title + "\","), std::string::npos) << size;
    e.page_title->back() = '\\';
    std::string want(size - 1, 'p');
    want += "\\\\";
    EXPECT_NE(encoded(e).find("\"page_title\":\"" + want + "\","), std::string::npos) << size;
  }
}

TEST(encode, invalid_utf8_from_the_collector_becomes_replacement_characters) {
  event e = minimal();
  e.ua = "Moz\xFFilla \xC3 \xE2\x82 \xED\xA0\x80 \xF4\x90\x80\x80 \xC0\xAF ok \xE2\x82\xAC";
  const std::string out = encoded(e);
  EXPECT_TRUE(simdjson::validate_utf8(out)) << out;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(out).get(root), simdjson::SUCCESS) << out;
  std::string_view ua;
  ASSERT_EQ(root["ua"].get_string().get(ua), simdjson::SUCCESS);
  EXPECT_EQ(ua.substr(0, 6), "Moz\xEF\xBF\xBD");
  EXPECT_EQ(ua.substr(ua.size() - 6), "ok \xE2\x82\xAC");  // valid text after the damage stays
}

TEST(decode_stored, reads_back_what_encode_wrote) {
  event e = minimal();
  e.page_title = "caf\xC3\xA9 \"q\" \\ \n";
  e.props = R"({"a":{"b":[1,-0.0,2.5e-300,"\u0000"]}})";
  e.viewport_h = 0;
  e.truncated = true;
  const auto back = decode_stored(encoded(e));
  ASSERT_TRUE(back.ok()) << back.err().message;
  EXPECT_EQ(*back, e);
}

TEST(decode_stored, null_stands_for_an_absent_optional_field) {
  const auto back = decode_stored(
      R"({"event_id":"0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f60","type":"a","site":"","collector_ts":1,"event_ts":1,)"
      R"("user_id":null,"x":null,"is_bot":null,"props":null,"truncated":false,"schema_version":1})");
  ASSERT_TRUE(back.ok()) << back.err().message;
  EXPECT_FALSE(back->user_id);
  EXPECT_FALSE(back->truncated);
}

TEST(decode_stored, refuses_what_is_not_a_schema_v1_record) {
  const std::string head = R"({"event_id":"0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f60","type":"a","site":"s",)";
  struct bad {
    std::string json;
    std::string_view says;
  };
  for (
      const bad& b : {
          bad{"", "not valid JSON"},
          bad{"{\"event_id\":", "not valid JSON"},
          bad{"[1]", "is an array, not an object"},
          bad{R"({"type":"a","site":"s","collector_ts":1,"event_ts":1,"schema_version":1})",
              "event_id is missing"},
          bad{R"({"event_id":"0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f60","site":"s","collector_ts":1,"event_ts":1,)"
              R"("schema_version":1})",
              "type is missing"},
          bad{head + R"("event_ts":1,"schema_version":1})", "collector_ts is missing"},
          bad{head + R"("collector_ts":1,"event_ts":1})", "schema_version is missing"},
          bad{head + R"("collector_ts":1,"event_ts":1,"schema_version":2})",
              "schema_version must be 1, got 2"},
          bad{head + R"("collector_ts":"1","event_ts":1,"schema_version":1})",
              "collector_ts must be an integer"},
          bad{head + R"("collector_ts":null,"event_ts":1,"schema_version":1})",
              "collector_ts must be an integer, got null"},
          bad{head + R"("collector_ts":1,"event_ts":1,"schema_version":1,"x":2147483648})",
              "x must be a whole number"},
          bad{head + R"("collector_ts":1,"event_ts":1,"schema_version":1,"is_bot":"no"})",
              "is_bot must be true or false"},
          bad{head + R"("collector_ts":1,"event_ts":1,"schema_version":1,"props":"{}"})",
              "props must be a JSON object"},
          bad{head + R"("collector_ts":1,"event_ts":1,"schema_version":1,"extra":1})",
              "unknown field \"extra\""},
          bad{head + R"("collector_ts":1,"collector_ts":1,"event_ts":1,"schema_version":1})",
              "collector_ts appears twice"},
          bad{R"({"event_id":"nope","type":"a","site":"s","collector_ts":1,"event_ts":1,"schema_version":1})",
              "event_id \"nope\" is not a UUID"},
          bad{R"({"event_id":"0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f60","type":"A","site":"s","collector_ts":1,)"
              R"("event_ts":1,"schema_version":1})",
              "type \"A\" is not"},
          bad{head + "\"collector_ts\":1,\"event_ts\":1,\"schema_version\":1,\"ua\":\"\xFF\"}",
              "not valid JSON"},
      }) {
    const auto r = decode_stored(b.json);
    ASSERT_FALSE(r.ok()) << b.json;
    EXPECT_EQ(r.err().what, base::outcome::reject);
    EXPECT_NE(r.err().message.find(b.says), std::string::npos) << r.err().message;
  }
}

TEST(decode_stored, takes_text_as_written_without_column_limits) {
  event e = minimal();
  e.page_path = std::string(5000, 'p');  // over 256: cutting is decode_batch's job, not the sink's
  e.ua = std::string(3000, 'u');
  const auto back = decode_stored(encoded(e));
  ASSERT_TRUE(back.ok()) << back.err().message;
  EXPECT_EQ(*back, e);
}

}  // namespace
}  // namespace clicktrail::event
