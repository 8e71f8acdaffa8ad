// decode_tp2_body and decode_tp2_query: what Snowplow's trackers send, each row of
// docs/compat-snowplow.md, and every way a body or an event is refused. The JSON inside the
// parameters (contexts, self-describing events) is snowplow_nested_test.cc's; the payloads are
// built as snowplow_payloads.h says.

#include "event/snowplow_decode.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "event/encode.h"
#include "event/tests/snowplow_payloads.h"

namespace clicktrail::event {
namespace {

using namespace snowplow_test;

TEST(snowplow_decode, a_browser_page_view_maps_every_column) {
  const foreign_batch b = decode_tp2_body(payload_data(browser_page_view()));
  const event& e = only_event(b);
  EXPECT_EQ(e.type, "page_view");
  EXPECT_EQ(e.event_id, "5e8a3f0c-6b1d-4c2e-9f3a-7b8c9d0e1f2a");  // lower-cased
  EXPECT_EQ(e.page_url, "https://shop.example/p/42?ref=mail#top");
  EXPECT_EQ(e.page_path, "/p/42");
  EXPECT_EQ(e.page_title, "Blue shoes");
  EXPECT_EQ(e.referrer, "https://search.example/?q=shoes");
  EXPECT_EQ(e.client_ts, 1718000000000);
  EXPECT_EQ(e.sent_ts, 1718000000123);
  EXPECT_EQ(e.anonymous_id, "4d3c2b1a-0f9e-4d8c-b7a6-958473625140");
  EXPECT_EQ(e.session_id, "9b2d1f4e-8c7a-4b6e-a5d3-2f1e0c9b8a7d");
  EXPECT_EQ(e.user_id, "alice@example.com");
  EXPECT_EQ(e.screen_w, 1920);
  EXPECT_EQ(e.screen_h, 1080);
  EXPECT_EQ(e.viewport_w, 1280);
  EXPECT_EQ(e.viewport_h, 720);
  EXPECT_EQ(e.locale, "en-GB");
  EXPECT_EQ(e.timezone, "Europe/London");
  EXPECT_FALSE(e.scroll_depth);  // a page view has no scroll offsets
  EXPECT_EQ(e.site, "");         // ingest sets it from the hint
  EXPECT_FALSE(e.truncated);
  // Everything without a column, as sent, in the order sent; the contexts decoded.
  EXPECT_EQ(e.props,
            R"({"snowplow":{"tv":"js-4.10.1","tna":"sp","aid":"shop","p":"web","cookie":"1","cs":"UTF-8",)"
            R"("cd":"24","ds":"1265x3000","vid":"3","contexts":[{"schema":)"
            R"("iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0","data":)"
            R"({"id":"0c8e4f0e-6f1b-4a3d-9c55-1d2e3f4a5b6c"}}]}})");
  ASSERT_EQ(b.hints.size(), 1u);
  EXPECT_EQ(b.hints[0].source_key, "shop");
  EXPECT_FALSE(b.hints[0].foreign_id);
  EXPECT_FALSE(b.hints[0].ip);
  EXPECT_FALSE(b.hints[0].user_agent);
  EXPECT_FALSE(b.base.site);
  EXPECT_FALSE(b.base.sent_ts);
}

TEST(snowplow_decode, the_decoded_event_survives_encode_and_decode_stored) {
  foreign_batch b = decode_tp2_body(payload_data(browser_page_view()));
  ASSERT_EQ(b.base.events.size(), 1u);
  expect_survives_storage(b.base.events[0]);
}

TEST(snowplow_decode, a_page_ping_has_its_scroll_depth) {
  // buildPagePing: pp_mix … pp_may; the browser adds vp and ds.
  const event e = only_event(decode_tp2_body(payload_data(
      R"({"e":"pp","url":"https://shop.example/","page":"Home","pp_mix":"0","pp_max":"0","pp_miy":"0",)"
      R"("pp_may":"1140","eid":"11111111-2222-4333-8444-555555555555","aid":"shop","dtm":"1718000010000",)"
      R"("vp":"1280x720","ds":"1265x3720","stm":"1718000010050"})")));
  EXPECT_EQ(e.type, "page_ping");
  EXPECT_EQ(e.page_path, "/");
  EXPECT_EQ(e.scroll_depth, 50);  // (1140 + 720) / 3720
  EXPECT_EQ(e.props, R"({"snowplow":{"pp_mix":"0","pp_max":"0","pp_miy":"0","pp_may":"1140","aid":"shop",)"
                     R"("ds":"1265x3720"}})");
}

TEST(snowplow_decode, a_scroll_depth_past_the_end_is_100) {
  const event e = only_event(decode_tp2_body(
      payload_data(R"({"e":"pp","pp_may":"5000","vp":"1280x720","ds":"1265x3720","dtm":"1718000010000"})")));
  EXPECT_EQ(e.scroll_depth, 100);
}

TEST(snowplow_decode, a_structured_event_puts_its_fields_in_props) {
  const event e = only_event(decode_tp2_body(payload_data(
      R"({"e":"se","se_ca":"video","se_ac":"play","se_la":"intro.mp4","se_pr":"autoplay","se_va":"12.5",)"
      R"("eid":"11111111-2222-4333-8444-555555555555","aid":"shop","dtm":"1718000000000"})")));
  EXPECT_EQ(e.type, "struct");
  EXPECT_EQ(e.props,
            R"({"category":"video","action":"play","label":"intro.mp4","property":"autoplay","value":12.5,)"
            R"("snowplow":{"aid":"shop"}})");
  // A whole value is still a double, as Snowplow's se_value column is.
  const event whole =
      only_event(decode_tp2_body(payload_data(R"({"e":"se","se_ca":"a","se_ac":"b","se_va":"3"})")));
  EXPECT_EQ(whole.props, R"({"category":"a","action":"b","value":3.0})");
}

TEST(snowplow_decode, a_structured_value_that_is_not_a_finite_number_is_rejected) {
  for (const std::string_view bad : {"twelve", "1e999", "nan", "12.5px", " 1"}) {
    const problem p = rejection_of_event(std::string(R"({"e":"se","se_ca":"a","se_ac":"b","se_va":")") +
                                         std::string(bad) + "\"}");
    EXPECT_EQ(p.why, reason::invalid_field) << bad;
    EXPECT_NE(p.detail.find("se_va"), std::string::npos) << p.detail;
  }
}

TEST(snowplow_decode, the_node_tracker_sends_base64_and_server_side_hints) {
  // @snowplow/node-tracker 4.8.0: encodeBase64 true, p=srv, setIpAddress/setUseragent,
  // addUserInformation (nuid, numeric vid made a string by preparePostBody), ttm when the caller
  // passes {type: 'ttm'}.
  const std::string ue = unstruct("iglu:com.acme/order_paid/jsonschema/1-0-0", R"({"order":"o-1"})");
  const foreign_batch b = decode_tp2_body(payload_data(
      R"({"e":"ue","ue_px":")" + base64url(ue) +
      R"(","eid":"b4a3c2d1-e0f9-4a8b-9c7d-6e5f4a3b2c1d","tv":"node-4.8.0","tna":"srv","aid":"shop",)"
      R"js("p":"srv","ip":"203.0.113.7","ua":"Mozilla/5.0 (X11)","uid":"u-7","ttm":"1717990000000",)js"
      R"("duid":"4d3c2b1a-0f9e-4d8c-b7a6-958473625140","nuid":"ecdff4d0-9175-40ac-a8bb-325c49733607",)"
      R"("sid":"9b2d1f4e-8c7a-4b6e-a5d3-2f1e0c9b8a7d","vid":"2","stm":"1718000000500"})"));
  const event& e = only_event(b);
  EXPECT_EQ(e.type, "order_paid");
  EXPECT_EQ(e.client_ts, 1717990000000);  // ttm: the true time
  EXPECT_EQ(e.sent_ts, 1718000000500);
  EXPECT_EQ(e.user_id, "u-7");
  EXPECT_FALSE(e.ip);  // the collector's field: ingest takes it from the hint
  EXPECT_FALSE(e.ua);
  ASSERT_EQ(b.hints.size(), 1u);
  EXPECT_EQ(b.hints[0].ip, "203.0.113.7");
  EXPECT_EQ(b.hints[0].user_agent, "Mozilla/5.0 (X11)");
  EXPECT_EQ(e.network_id, "ecdff4d0-9175-40ac-a8bb-325c49733607");  // nuid: the tracker's own
  EXPECT_EQ(e.props, R"({"order":"o-1","snowplow":{"tv":"node-4.8.0","tna":"srv","aid":"shop","p":"srv",)"
                     R"("ttm":"1717990000000","vid":"2",)"
                     R"("schema":"iglu:com.acme/order_paid/jsonschema/1-0-0"}})");
}

TEST(snowplow_decode, ttm_wins_over_dtm) {
  const event e =
      only_event(decode_tp2_body(payload_data(R"({"e":"pv","dtm":"1718000000000","ttm":"1700000000000"})")));
  EXPECT_EQ(e.client_ts, 1700000000000);
}

TEST(snowplow_decode, each_kind_has_its_type) {
  const std::pair<std::string_view, std::string_view> kinds[] = {{"pv", "page_view"},
                                                                 {"pp", "page_ping"},
                                                                 {"se", "struct"},
                                                                 {"tr", "transaction"},
                                                                 {"ti", "transaction_item"}};
  for (const auto& [kind, type] : kinds) {
    const event e = only_event(decode_tp2_body(payload_data(R"({"e":")" + std::string(kind) + R"("})")));
    EXPECT_EQ(e.type, type);
  }
  const event tr = only_event(decode_tp2_body(payload_data(R"({"e":"tr","tr_id":"o-1","tr_tt":"42.00"})")));
  EXPECT_EQ(tr.props, R"({"snowplow":{"tr_id":"o-1","tr_tt":"42.00"}})");
}

TEST(snowplow_decode, an_unknown_or_missing_kind_is_rejected) {
  EXPECT_EQ(rejection_of_event(R"({"e":"ad"})").why, reason::invalid_type);
  EXPECT_EQ(rejection_of_event(R"({"eid":"x"})").why, reason::missing_field);
  EXPECT_EQ(rejection_of_event(R"({"e":""})").why, reason::missing_field);
  EXPECT_EQ(rejection_of_event(R"({"e":"ue"})").why, reason::missing_field);  // no ue_pr/ue_px
}

TEST(snowplow_decode, a_schema_name_that_makes_no_type_is_rejected) {
  const std::string ue = unstruct("iglu:com.acme/3d_view/jsonschema/1-0-0", "{}");
  EXPECT_EQ(rejection_of_event(std::string(R"({"e":"ue","ue_pr":)") + json_string(ue) + "}").why,
            reason::invalid_type);
  const std::string not_iglu = unstruct("com.acme/view", "{}");
  EXPECT_EQ(rejection_of_event(std::string(R"({"e":"ue","ue_pr":)") + json_string(not_iglu) + "}").why,
            reason::invalid_field);
}

TEST(snowplow_decode, a_non_uuid_eid_gets_a_stable_event_id_per_site) {
  foreign_batch b = decode_tp2_body(payload_data(R"({"e":"pv","eid":"42","aid":"shop"})"));
  ASSERT_EQ(b.base.events.size(), 1u);
  EXPECT_EQ(b.base.events[0].event_id, "");  // until the site is known
  EXPECT_EQ(b.hints[0].foreign_id, "42");
  EXPECT_EQ(b.base.events[0].props, R"({"snowplow":{"eid":"42","aid":"shop"}})");
  derive_event_ids(b, snowplow_id_namespace(), "shop");
  // Python: uuid.uuid5(uuid.UUID("4c83709b-cd83-554c-88f6-b8b9b901884e"), "shop\n42")
  EXPECT_EQ(b.base.events[0].event_id, "a67986c5-d724-5acf-a47f-8de48710c5cb");
  // A retry (a new stm) gives the same id; another site another.
  foreign_batch retry =
      decode_tp2_body(payload_data(R"({"e":"pv","eid":"42","aid":"shop","stm":"1718000009999"})"));
  derive_event_ids(retry, snowplow_id_namespace(), "shop");
  EXPECT_EQ(retry.base.events[0].event_id, b.base.events[0].event_id);
  EXPECT_NE(foreign_event_id(snowplow_id_namespace(), "blog", "42"), b.base.events[0].event_id);
  EXPECT_EQ(snowplow_id_namespace().to_string(), "4c83709b-cd83-554c-88f6-b8b9b901884e");
}

TEST(snowplow_decode, wrong_types_and_malformed_values_reject_the_event) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {R"({"e":"pv","dtm":1718000000000})", "dtm"},  // a number, not a string
      {R"({"e":"pv","vid":null})", "vid"},
      {R"({"e":"pv","co":{"schema":"x"}})", "co"},
      {R"({"e":"pv","dtm":"1718000000000.5"})", "dtm"},
      {R"({"e":"pv","stm":"-1"})", "stm"},
      {R"({"e":"pv","dtm":"253402300800000"})", "dtm"},  // past year 9999
      {R"({"e":"pv","res":"1920*1080"})", "res"},
      {R"({"e":"pv","vp":"1280x"})", "vp"},
      {R"({"e":"pv","co":"not json"})", "co"},
      {R"({"e":"pv","cx":"!!!"})", "cx"},
      {R"({"e":"pv","co":"{\"schema\":\"iglu:com.acme/other/jsonschema/1-0-0\",\"data\":[]}"})", "co"},
      {R"({"e":"pv","co":"{\"schema\":\"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0\",\"data\":{}}"})",
       "co"},
      {R"({"e":"ue","ue_pr":"{\"schema\":\"iglu:com.acme/x/jsonschema/1-0-0\",\"data\":{}}"})", "ue_pr"},
      {R"({"e":"pv","co":"{\"schema\":\"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0\",\"data\":[]}","cx":"e30"})",
       "c"},
      {R"({"e":"pv","uid":"a","uid":"b"})", "uid"},
  };
  for (const auto& [json, parameter] : cases) {
    const problem p = rejection_of_event(json);
    EXPECT_EQ(p.why, reason::invalid_field) << json << ": " << p.detail;
    EXPECT_NE(p.detail.find(parameter), std::string::npos) << p.detail;
  }
}

TEST(snowplow_decode, a_bad_event_is_rejected_alone_with_its_text) {
  const std::string bad = R"({"e":"pv","dtm":"soon"})";
  const foreign_batch b =
      decode_tp2_body(payload_data(R"({"e":"pv","aid":"a"}, 7, )" + bad + R"(, {"e":"se","aid":"b"})"));
  ASSERT_FALSE(b.base.refused);
  ASSERT_EQ(b.base.events.size(), 2u);
  ASSERT_EQ(b.hints.size(), 2u);
  EXPECT_EQ(b.hints[0].source_key, "a");
  EXPECT_EQ(b.hints[1].source_key, "b");
  ASSERT_EQ(b.base.rejected.size(), 2u);
  EXPECT_EQ(b.base.rejected[0].index, 1u);
  EXPECT_EQ(b.base.rejected[0].what.why, reason::not_an_object);
  EXPECT_EQ(b.base.rejected[0].raw, "7");
  EXPECT_EQ(b.base.rejected[1].index, 2u);
  EXPECT_EQ(b.base.rejected[1].raw, bad);
  EXPECT_EQ(b.source_key, "a");
}

TEST(snowplow_decode, the_request_source_key_is_the_first_events_aid_even_when_it_is_rejected) {
  EXPECT_EQ(decode_tp2_body(payload_data(R"({"e":"nope","aid":"shop"},{"e":"pv","aid":"blog"})")).source_key,
            "shop");
  EXPECT_EQ(decode_tp2_body(payload_data(R"({"e":"pv","aid":"shop","dtm":1})")).source_key, "shop");
  EXPECT_EQ(decode_tp2_body(payload_data(R"({"e":"pv"},{"e":"pv","aid":"blog"})")).source_key, "");
  EXPECT_EQ(decode_tp2_query("e=nope&aid=sh%6Fp").source_key, "shop");
  EXPECT_EQ(decode_tp2_body("[]").source_key, "");
}

TEST(snowplow_decode, long_text_is_cut_to_its_column_and_flagged) {
  const std::string title(2000, 't');
  const event e = only_event(decode_tp2_body(payload_data(R"({"e":"pv","page":")" + title + R"("})")));
  EXPECT_EQ(e.page_title->size(), 1024u);
  EXPECT_TRUE(e.truncated);
}

TEST(snowplow_decode, oversize_events_props_and_bodies) {
  limits lim;
  lim.max_event_bytes = 200;
  const std::string big = R"({"e":"pv","page":")" + std::string(300, 'x') + R"("})";
  const foreign_batch b = decode_tp2_body(payload_data(big + R"(,{"e":"pv"})"), lim);
  ASSERT_EQ(b.base.rejected.size(), 1u);
  EXPECT_EQ(b.base.rejected[0].what.why, reason::event_too_large);
  EXPECT_EQ(b.base.rejected[0].raw.size(), 200u);
  EXPECT_EQ(b.base.events.size(), 1u);

  limits props;
  props.max_props_bytes = 64;
  EXPECT_EQ(rejection_of_event(R"({"e":"pv","cs":")" + std::string(80, 'c') + R"("})", props).why,
            reason::props_invalid);
  limits shallow;
  shallow.max_props_depth = 3;  // props → snowplow → contexts: the entities are one too deep
  const std::string co =
      R"({\"schema\":\"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0\",\"data\":[{\"a\":1}]})";
  EXPECT_EQ(rejection_of_event(R"({"e":"pv","co":")" + co + R"("})", shallow).why, reason::props_invalid);

  limits few;
  few.max_events = 2;
  EXPECT_EQ(refusal_of(payload_data(R"({"e":"pv"},{"e":"pv"},{"e":"pv"})"), few).why,
            reason::too_many_events);
}

TEST(snowplow_decode, bodies_that_are_not_payload_data_are_refused_whole) {
  EXPECT_EQ(refusal_of("{\"schema\":").why, reason::invalid_json);
  EXPECT_EQ(refusal_of("").why, reason::invalid_json);
  EXPECT_EQ(refusal_of("{\"a\":\"\xff\"}").why, reason::invalid_utf8);
  EXPECT_EQ(refusal_of(payload_data(std::string(20, '[') + std::string(20, ']'))).why, reason::too_deep);
  EXPECT_EQ(refusal_of(R"([{"e":"pv"}])").why, reason::invalid_field);
  EXPECT_EQ(refusal_of(R"({"data":[{"e":"pv"}]})").why, reason::invalid_field);
  EXPECT_EQ(refusal_of(R"({"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-9",)"
                       R"("data":[{"e":"pv"}]})")
                .why,
            reason::invalid_field);
  EXPECT_EQ(refusal_of(R"({"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4",)"
                       R"("data":{"e":"pv"}})")
                .why,
            reason::invalid_field);
  EXPECT_EQ(refusal_of(R"({"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4",)"
                       R"("data":[],"extra":1})")
                .why,
            reason::unknown_field);
  EXPECT_EQ(refusal_of(payload_data("")).why, reason::no_events);
  // payload_data 1-0-0 is read as well.
  const foreign_batch old = decode_tp2_body(
      R"({"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-0","data":[{"e":"pv"}]})");
  EXPECT_EQ(old.base.events.size(), 1u);
}

TEST(snowplow_decode, a_get_pixel_query_is_one_event) {
  // getQuerystring of a browser page view in GET mode: encodeURIComponent values, stm first
  // (useStm), base64 by default (encodeBase64 = eventMethod !== 'post'), cx last.
  const std::string cx = base64url(
      R"({"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[{"schema":)"
      R"("iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0","data":{"id":"0c8e4f0e"}}]})");
  const std::string query =
      "?stm=1718000000123&e=pv&url=https%3A%2F%2Fshop.example%2Fp%2F42%3Fref%3Dmail&page=Blue%20shoes%20%C3%"
      "A9"
      "&eid=5e8a3f0c-6b1d-4c2e-9f3a-7b8c9d0e1f2a&tv=js-4.10.1&tna=sp&aid=shop&p=web&lang=en-GB&res=1920x1080"
      "&dtm=1718000000000&vp=1280x720&duid=d1&cx=" +
      cx;
  const foreign_batch b = decode_tp2_query(query);
  const event& e = only_event(b);
  EXPECT_EQ(e.type, "page_view");
  EXPECT_EQ(e.page_url, "https://shop.example/p/42?ref=mail");
  EXPECT_EQ(e.page_path, "/p/42");
  EXPECT_EQ(e.page_title, "Blue shoes é");
  EXPECT_EQ(e.sent_ts, 1718000000123);
  EXPECT_EQ(e.client_ts, 1718000000000);
  EXPECT_EQ(e.anonymous_id, "d1");
  EXPECT_EQ(e.props, R"({"snowplow":{"tv":"js-4.10.1","tna":"sp","aid":"shop","p":"web","contexts":)"
                     R"([{"schema":"iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0","data":)"
                     R"({"id":"0c8e4f0e"}}]}})");
  EXPECT_EQ(b.hints[0].source_key, "shop");
  // Without the '?' too; '+' is a space as in a form.
  EXPECT_EQ(only_event(decode_tp2_query("e=se&se_ca=a+b&se_ac=c")).props,
            R"({"category":"a b","action":"c"})");
}

TEST(snowplow_decode, bad_get_queries) {
  EXPECT_EQ(decode_tp2_query("").base.refused->why, reason::no_events);
  EXPECT_EQ(decode_tp2_query("?").base.refused->why, reason::no_events);
  EXPECT_EQ(only_rejection(decode_tp2_query("e=pv&page=%E")).why, reason::invalid_field);
  EXPECT_EQ(only_rejection(decode_tp2_query("e=pv&page=%zz")).why, reason::invalid_field);
  EXPECT_EQ(only_rejection(decode_tp2_query("e=pv&page=%FF")).why, reason::invalid_field);  // not UTF-8
  EXPECT_EQ(only_rejection(decode_tp2_query("e=pv&e=se")).why, reason::invalid_field);
  EXPECT_EQ(only_rejection(decode_tp2_query("page=x")).why, reason::missing_field);
  limits lim;
  lim.max_event_bytes = 16;
  const foreign_batch big = decode_tp2_query("e=pv&page=" + std::string(40, 'x'), lim);
  EXPECT_EQ(only_rejection(big).why, reason::event_too_large);
  EXPECT_EQ(big.base.rejected[0].raw.size(), 16u);
  const std::string raw = "e=pv&dtm=later";
  EXPECT_EQ(decode_tp2_query(raw).base.rejected.at(0).raw, raw);
}

}  // namespace
}  // namespace clicktrail::event
