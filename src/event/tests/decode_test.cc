// decode_batch: the input forms, every reason code, and what a batch of good and bad events keeps.

#include "event/decode.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "event/json_parser.h"

namespace clicktrail::event {
namespace {

// The one problem of a batch that rejected exactly one event.
problem only_rejection(const batch& b) {
  EXPECT_FALSE(b.refused) << b.refused->detail;
  EXPECT_EQ(b.rejected.size(), 1u);
  return b.rejected.empty() ? problem{} : b.rejected[0].what;
}

problem rejection_of(std::string_view body) {
  return only_rejection(decode_batch(body));
}

problem refusal_of(std::string_view body, const limits& lim = {}) {
  const batch b = decode_batch(body, lim);
  EXPECT_TRUE(b.refused) << body;
  EXPECT_TRUE(b.events.empty());
  EXPECT_TRUE(b.rejected.empty());
  EXPECT_FALSE(b.site);
  EXPECT_FALSE(b.sent_ts);
  return b.refused.value_or(problem{});
}

TEST(decode, a_single_event_object) {
  const batch b =
      decode_batch(R"({"type":"page_view","page_url":"https://shop.example/a?b=1","client_ts":1700000000000,)"
                   R"("anonymous_id":"a1","viewport_w":1280,"locale":"en-GB"})");
  ASSERT_FALSE(b.refused);
  ASSERT_EQ(b.events.size(), 1u);
  const event& e = b.events[0];
  EXPECT_EQ(e.type, "page_view");
  EXPECT_EQ(e.page_url, "https://shop.example/a?b=1");
  EXPECT_EQ(e.client_ts, 1700000000000);
  EXPECT_EQ(e.anonymous_id, "a1");
  EXPECT_EQ(e.viewport_w, 1280);
  EXPECT_EQ(e.locale, "en-GB");
  EXPECT_EQ(e.event_id, "");  // the collector assigns it
  EXPECT_FALSE(e.sent_ts);
  EXPECT_FALSE(e.truncated);
  EXPECT_FALSE(b.site);
  EXPECT_FALSE(b.sent_ts);
}

TEST(decode, an_array_of_events_in_order) {
  const batch b =
      decode_batch(R"([{"type":"page_view"}, {"type":"click","x":10,"y":-20}, {"type":"scroll"}])");
  ASSERT_EQ(b.events.size(), 3u);
  EXPECT_EQ(b.events[0].type, "page_view");
  EXPECT_EQ(b.events[1].type, "click");
  EXPECT_EQ(b.events[1].x, 10);
  EXPECT_EQ(b.events[1].y, -20);
  EXPECT_EQ(b.events[2].type, "scroll");
  EXPECT_TRUE(b.rejected.empty());
}

TEST(decode, the_envelope_gives_its_sent_ts_to_events_that_have_none) {
  const batch b = decode_batch(R"({"sent_ts":1700000000500,"site":"shop","events":[)"
                               R"({"type":"click","client_ts":1700000000000},)"
                               R"({"type":"click","sent_ts":1700000000400}]})");
  ASSERT_FALSE(b.refused);
  EXPECT_EQ(b.sent_ts, 1700000000500);
  EXPECT_EQ(b.site, "shop");
  ASSERT_EQ(b.events.size(), 2u);
  EXPECT_EQ(b.events[0].sent_ts, 1700000000500);
  EXPECT_EQ(b.events[1].sent_ts, 1700000000400);  // its own wins
  EXPECT_EQ(b.events[0].site, "");                // the ingest layer sets the site of each event
}

TEST(decode, envelope_keys_may_come_in_any_order_and_be_null) {
  const batch b = decode_batch(R"({"events":[{"type":"a"}],"site":null,"sent_ts":null})");
  ASSERT_FALSE(b.refused);
  EXPECT_FALSE(b.site);
  EXPECT_FALSE(b.sent_ts);
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_FALSE(b.events[0].sent_ts);
}

TEST(decode, a_lone_event_names_the_site_of_the_batch) {
  const batch b = decode_batch(R"({"type":"page_view","site":"shop"})");
  EXPECT_EQ(b.site, "shop");
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0].site, "shop");

  const batch rejected = decode_batch(R"({"type":"page_view","site":"shop","ip":"1.2.3.4"})");
  EXPECT_EQ(rejected.site, "shop");  // the answer still goes to that site
  EXPECT_EQ(rejected.rejected.size(), 1u);
}

TEST(decode, events_in_an_array_may_each_name_a_site) {
  const batch b = decode_batch(R"([{"type":"a","site":"one"},{"type":"a","site":"two"}])");
  ASSERT_EQ(b.events.size(), 2u);
  EXPECT_EQ(b.events[0].site, "one");
  EXPECT_EQ(b.events[1].site, "two");
  EXPECT_FALSE(b.site);
}

TEST(decode, whitespace_around_and_inside_the_body_is_fine) {
  const batch b = decode_batch(" \n\t[ { \"type\" : \"a\" } ,\r\n {\"type\":\"b\"} ] \n");
  ASSERT_EQ(b.events.size(), 2u);
}

TEST(decode_refused, invalid_json) {
  for (const std::string_view body :
       {"", "   ", "{", "[1,]", "nope", R"({"type":"a"} x)", R"({"type":tru})", R"({"type":"a",})", "[1 2]",
        R"({"type":"a","props":{"n":1e400}})", R"({"type":"\ud800"})", R"({"type":"\q"})"}) {
    const problem p = refusal_of(body);
    EXPECT_EQ(p.why, reason::invalid_json) << body;
    EXPECT_NE(p.detail.find("not valid JSON"), std::string::npos) << p.detail;
  }
}

TEST(decode_refused, invalid_utf8_in_a_string_or_a_key) {
  for (const std::string_view body : {"{\"type\":\"a\",\"page_title\":\"caf\xC3\"}", "{\"typ\xFF\":\"a\"}",
                                      "[{\"type\":\"a\"},{\"type\":\"\xED\xA0\x80\"}]"}) {
    EXPECT_EQ(refusal_of(body).why, reason::invalid_utf8) << body;
  }
}

TEST(decode_refused, no_events) {
  EXPECT_EQ(refusal_of("[]").why, reason::no_events);
  EXPECT_EQ(refusal_of(R"({"sent_ts":1,"events":[]})").why, reason::no_events);
}

TEST(decode_refused, a_body_that_is_not_an_object_or_array) {
  for (const std::string_view body : {"42", R"("page_view")", "null", "true"}) {
    EXPECT_EQ(refusal_of(body).why, reason::not_an_object) << body;
  }
}

TEST(decode_refused, an_envelope_with_a_key_of_its_own) {
  const problem p = refusal_of(R"({"sent_ts":1,"events":[{"type":"a"}],"type":"a"})");
  EXPECT_EQ(p.why, reason::unknown_field);
  EXPECT_NE(p.detail.find("\"type\""), std::string::npos) << p.detail;
  EXPECT_NE(p.detail.find("sent_ts, site and events"), std::string::npos) << p.detail;
}

TEST(decode_refused, a_malformed_envelope) {
  EXPECT_EQ(refusal_of(R"({"events":{"type":"a"}})").why, reason::invalid_field);
  EXPECT_EQ(refusal_of(R"({"events":null})").why, reason::invalid_field);
  EXPECT_EQ(refusal_of(R"({"events":[{"type":"a"}],"events":[{"type":"a"}]})").why, reason::invalid_field);
  EXPECT_EQ(refusal_of(R"({"sent_ts":"now","events":[{"type":"a"}]})").why, reason::invalid_field);
  EXPECT_EQ(refusal_of(R"({"sent_ts":-1,"events":[{"type":"a"}]})").why, reason::invalid_field);
  EXPECT_EQ(refusal_of(R"({"site":7,"events":[{"type":"a"}]})").why, reason::invalid_field);
  const problem p = refusal_of(R"({"site":")" + std::string(257, 's') + R"(","events":[{"type":"a"}]})");
  EXPECT_EQ(p.why, reason::invalid_field);
  EXPECT_NE(p.detail.find("site is 257 bytes, over the limit of 256"), std::string::npos) << p.detail;
}

TEST(decode_rejected, an_element_that_is_not_an_object) {
  const batch b = decode_batch(R"([{"type":"a"}, [1, 2], "click", {"type":"b"}])");
  ASSERT_EQ(b.events.size(), 2u);
  ASSERT_EQ(b.rejected.size(), 2u);
  EXPECT_EQ(b.rejected[0].index, 1u);
  EXPECT_EQ(b.rejected[0].what.why, reason::not_an_object);
  EXPECT_EQ(b.rejected[0].raw, "[1, 2]");
  EXPECT_EQ(b.rejected[1].index, 2u);
  EXPECT_EQ(b.rejected[1].raw, R"("click")");
}

TEST(decode_rejected, missing_type) {
  for (const std::string_view body : {R"({"page_url":"https://a.example/"})", R"({"type":null})", "{}"}) {
    const problem p = rejection_of(body);
    EXPECT_EQ(p.why, reason::missing_field) << body;
    EXPECT_NE(p.detail.find("type is required"), std::string::npos) << p.detail;
  }
}

TEST(decode_rejected, a_value_of_the_wrong_json_type) {
  struct want {
    std::string_view body, field, expected;
  };
  for (const want& w : {
           want{R"({"type":"a","page_url":42})", "page_url", "must be a string, got a number"},
           want{R"({"type":7})", "type", "must be a string, got a number"},
           want{R"({"type":"a","event_id":{}})", "event_id", "must be a string, got an object"},
           want{R"({"type":"a","x":"10"})", "x", "must be an integer, got a string"},
           want{R"({"type":"a","client_ts":true})", "client_ts", "must be an integer, got a boolean"},
           want{R"({"type":"a","site":["s"]})", "site", "must be a string, got an array"},
       }) {
    const problem p = rejection_of(w.body);
    EXPECT_EQ(p.why, reason::invalid_field) << w.body;
    EXPECT_EQ(p.detail.rfind(std::string(w.field) + " " + std::string(w.expected), 0), 0u) << p.detail;
  }
}

TEST(decode_rejected, a_field_given_twice) {
  const problem p = rejection_of(R"({"type":"a","x":1,"x":2})");
  EXPECT_EQ(p.why, reason::invalid_field);
  EXPECT_EQ(p.detail, "x appears twice; send each field once");
}

TEST(decode_rejected, unknown_fields_and_fields_only_the_collector_sets) {
  problem p = rejection_of(R"({"type":"a","foo":1})");
  EXPECT_EQ(p.why, reason::unknown_field);
  EXPECT_EQ(p.detail, "unknown field \"foo\"; the schema's fields are listed in docs/event-schema.md");

  p = rejection_of(R"({"type":"a","ip":"1.2.3.4"})");
  EXPECT_EQ(p.why, reason::unknown_field);
  EXPECT_EQ(p.detail, "ip is set by the collector, not the tracker; leave it out");

  p = rejection_of(R"({"type":"a","utm_source":"news"})");
  EXPECT_EQ(p.detail, "utm_source is set by the collector's enrichment, not the tracker; leave it out");

  for (const std::string_view key : {"collector_ts", "event_ts", "ua", "ua_os", "is_bot", "geo_city",
                                     "truncated", "schema_version", "Type"}) {
    const std::string body = R"({"type":"a",")" + std::string(key) + R"(":null})";
    EXPECT_EQ(rejection_of(body).why, reason::unknown_field) << key;
  }
}

TEST(decode_rejected, an_invalid_type) {
  for (const std::string_view type : {"", "Page_View", "1click", "_x", "a b", "a/b", "é"}) {
    const problem p = rejection_of(R"({"type":")" + std::string(type) + R"("})");
    EXPECT_EQ(p.why, reason::invalid_type) << type;
  }
  const batch known = decode_batch(
      R"([{"type":"page_view"},{"type":"click"},{"type":"scroll"},{"type":"engagement"},)"
      R"({"type":"form_submit"},{"type":"error"},{"type":"identify"},{"type":"video.play:start-1_x"},{"type":"z"}])");
  EXPECT_EQ(known.events.size(), 9u);
  EXPECT_TRUE(known.rejected.empty());
}

TEST(decode_rejected, an_event_id_that_is_not_a_uuid) {
  for (const std::string_view id :
       {"", "abc", "0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f6", "{0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f60}",
        "0190e5b45a3c7c6e9a441b2c3d4e5f60", "0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5fzz"}) {
    const problem p = rejection_of(R"({"type":"a","event_id":")" + std::string(id) + R"("})");
    EXPECT_EQ(p.why, reason::invalid_event_id) << id;
    EXPECT_NE(p.detail.find("8-4-4-4-12"), std::string::npos) << p.detail;
  }
}

TEST(decode, event_ids_are_kept_lower_case) {
  const batch b = decode_batch(R"({"type":"a","event_id":"0190E5B4-5A3C-7C6E-9A44-1B2C3D4E5F60"})");
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0].event_id, "0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f60");
  // Every letter of every group, the last four (read only by the overlapping last word) included.
  const batch letters = decode_batch(R"({"type":"a","event_id":"ABCDEFAB-CDEF-4BCD-AFAB-CDEFABCDEFAB"})");
  ASSERT_EQ(letters.events.size(), 1u);
  EXPECT_EQ(letters.events[0].event_id, "abcdefab-cdef-4bcd-afab-cdefabcdefab");
}

TEST(decode_rejected, props_that_are_not_an_object) {
  for (const std::string_view props : {"[]", R"("{}")", "1", "true"}) {
    const problem p = rejection_of(R"({"type":"a","props":)" + std::string(props) + "}");
    EXPECT_EQ(p.why, reason::props_invalid) << props;
    EXPECT_EQ(p.detail.rfind("props must be a JSON object", 0), 0u) << p.detail;
  }
}

TEST(decode, props_are_kept_as_compact_json) {
  const batch b = decode_batch(
      R"({"type":"a","props":{ "plan" : "pro", "n" : [1, 2.5, -0.0, 1.0, 1E3, true, null, {"k": "v\u00e9\n"}],)"
      R"( "big": 18446744073709551615, "e": {} }})");
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0].props,
            "{\"plan\":\"pro\",\"n\":[1,2.5,-0.0,1.0,1000.0,true,null,{\"k\":\"v\xC3\xA9\\u000a\"}],"
            "\"big\":18446744073709551615,\"e\":{}}");
}

TEST(decode, null_is_absent_and_an_empty_string_is_a_value) {
  const batch b = decode_batch(
      R"({"type":"a","user_id":null,"session_id":"","x":null,"props":null,"event_id":null,"site":null})");
  ASSERT_EQ(b.events.size(), 1u);
  const event& e = b.events[0];
  EXPECT_FALSE(e.user_id);
  EXPECT_EQ(e.session_id, "");
  EXPECT_FALSE(e.x);
  EXPECT_FALSE(e.props);
  EXPECT_EQ(e.event_id, "");
  EXPECT_FALSE(b.site);
}

TEST(decode, whole_numbers_written_as_decimals_are_integers) {
  const batch b = decode_batch(R"({"type":"a","x":5.0,"client_ts":1.7e12})");
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0].x, 5);
  EXPECT_EQ(b.events[0].client_ts, 1'700'000'000'000);
  EXPECT_EQ(rejection_of(R"({"type":"a","x":5.5})").why, reason::invalid_field);
}

TEST(decode, a_batch_of_good_and_bad_events_keeps_order_indexes_and_raw_text) {
  const std::string body = R"([ {"type":"page_view","page_path":"/1"},)"
                           R"( {"type":"Bad Type"} ,)"
                           R"({"type":"click","page_path":"/3"},)"
                           "\n  {\"type\":\"a\",\"ip\":\"1.2.3.4\",\"props\":{\"s\":\"q\\\"[}\"}}\n,"
                           R"({"type":"scroll","page_path":"/5"}, 7])";
  const batch b = decode_batch(body);
  ASSERT_FALSE(b.refused);
  ASSERT_EQ(b.events.size(), 3u);
  EXPECT_EQ(b.events[0].page_path, "/1");
  EXPECT_EQ(b.events[1].page_path, "/3");
  EXPECT_EQ(b.events[2].page_path, "/5");
  ASSERT_EQ(b.rejected.size(), 3u);
  EXPECT_EQ(b.rejected[0].index, 1u);
  EXPECT_EQ(b.rejected[0].what.why, reason::invalid_type);
  EXPECT_EQ(b.rejected[0].raw, R"({"type":"Bad Type"})");
  EXPECT_EQ(b.rejected[1].index, 3u);
  EXPECT_EQ(b.rejected[1].what.why, reason::unknown_field);
  EXPECT_EQ(b.rejected[1].raw, "{\"type\":\"a\",\"ip\":\"1.2.3.4\",\"props\":{\"s\":\"q\\\"[}\"}}");
  EXPECT_EQ(b.rejected[2].index, 5u);
  EXPECT_EQ(b.rejected[2].raw, "7");
}

TEST(decode, raw_text_of_a_rejected_event_in_an_envelope) {
  const batch b =
      decode_batch(R"({"site":"s", "events" : [{"type":"a"}, {"type":"a","x":"1"}], "sent_ts":5})");
  ASSERT_EQ(b.rejected.size(), 1u);
  EXPECT_EQ(b.rejected[0].index, 1u);
  EXPECT_EQ(b.rejected[0].raw, R"({"type":"a","x":"1"})");
  EXPECT_EQ(b.events.at(0).sent_ts, 5);
}

TEST(decode, every_reason_has_its_snake_case_code) {
  const std::vector<std::pair<reason, std::string_view>> codes = {
      {reason::invalid_json, "invalid_json"},
      {reason::invalid_utf8, "invalid_utf8"},
      {reason::too_deep, "too_deep"},
      {reason::too_many_events, "too_many_events"},
      {reason::no_events, "no_events"},
      {reason::not_an_object, "not_an_object"},
      {reason::event_too_large, "event_too_large"},
      {reason::missing_field, "missing_field"},
      {reason::invalid_field, "invalid_field"},
      {reason::unknown_field, "unknown_field"},
      {reason::invalid_type, "invalid_type"},
      {reason::invalid_event_id, "invalid_event_id"},
      {reason::props_invalid, "props_invalid"},
  };
  for (const auto& [r, code] : codes) EXPECT_EQ(to_string(r), code);
}

TEST(decode, threads_decode_at_the_same_time) {
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &ok] {
      const std::string body =
          R"([{"type":"t)" + std::to_string(t) + R"("},{"type":"x","x":)" + std::to_string(t) + "}]";
      for (int i = 0; i < 2000; ++i) {
        const batch b = decode_batch(body);
        if (b.events.size() == 2 && b.events[0].type == "t" + std::to_string(t) && b.events[1].x == t)
          ++ok[static_cast<std::size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const int n : ok) EXPECT_EQ(n, 2000);
}

TEST(decode, padded_makes_zeroed_room_past_the_end_and_keeps_the_text) {
  std::string body = R"({"type":"click"})";
  const std::string before = body;
  const simdjson::padded_string_view view = padded(body);
  EXPECT_EQ(body, before);
  EXPECT_EQ(std::string_view(view), before);
  EXPECT_EQ(view.data(), body.data());  // a view of the body, not of a copy
  ASSERT_GE(view.padding(), simdjson::SIMDJSON_PADDING);
  for (std::size_t i = 0; i < simdjson::SIMDJSON_PADDING; ++i)
    EXPECT_EQ(body.data()[body.size() + i], '\0') << i;
}

// A padded body is parsed where it lies; whatever the body, the outcome is decode_batch's.
TEST(decode, a_padded_body_decodes_as_its_copy_does) {
  const std::vector<std::string> bodies = {
      R"({"sent_ts":1700000000500,"site":"blog","events":[{"type":"page_view","client_ts":1700000000000},)"
      R"({"type":"click","target":"#buy","props":{"a":[1,2.5,"x"]}}]})",
      R"([{"type":"page_view"},{"type":7},{"type":"scroll","scroll_depth":3.5},42])",
      R"({"type":"page_view","page_url":"https://a.example/é?q=\u00e9"})",
      R"([{"type":"page_view"})",  // cut short: not JSON, though the room past it is readable
      "{\"type\":\"page_view\",\"title\":\"\xFF\"}",
      "",
      "   ",
  };
  for (const std::string& text : bodies) {
    SCOPED_TRACE(text);
    const batch copied = decode_batch(text);
    std::string body = text;
    const batch in_place = decode_padded_batch(padded(body));
    ASSERT_EQ(in_place.refused.has_value(), copied.refused.has_value());
    if (copied.refused) {
      EXPECT_EQ(in_place.refused->detail, copied.refused->detail);
    }
    ASSERT_EQ(in_place.events.size(), copied.events.size());
    for (std::size_t i = 0; i < copied.events.size(); ++i) {
      EXPECT_EQ(in_place.events[i].type, copied.events[i].type);
      EXPECT_EQ(in_place.events[i].props, copied.events[i].props);
      EXPECT_EQ(in_place.events[i].page_url, copied.events[i].page_url);
      EXPECT_EQ(in_place.events[i].sent_ts, copied.events[i].sent_ts);
    }
    ASSERT_EQ(in_place.rejected.size(), copied.rejected.size());
    for (std::size_t i = 0; i < copied.rejected.size(); ++i) {
      EXPECT_EQ(in_place.rejected[i].what.detail, copied.rejected[i].what.detail);
      EXPECT_EQ(in_place.rejected[i].raw, copied.rejected[i].raw);
    }
    EXPECT_EQ(in_place.site, copied.site);
  }
}

// A view without the room is copied first, as decode_batch does.
TEST(decode, a_view_without_room_past_its_end_is_copied_first) {
  const std::string text = R"([{"type":"page_view"},{"type":"click"}])";
  const batch b = decode_padded_batch(simdjson::padded_string_view(text.data(), text.size(), text.size()));
  ASSERT_FALSE(b.refused);
  ASSERT_EQ(b.events.size(), 2u);
  EXPECT_EQ(b.events[1].type, "click");
}

}  // namespace
}  // namespace clicktrail::event
