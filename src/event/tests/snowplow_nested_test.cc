// The JSON inside two tp2 parameters (snowplow_nested.cc): the self-describing event (ue_pr, ue_px),
// lifted into props or props.snowplow.data, a link click into the target columns, and the
// contexts (co, cx), in either base64 alphabet, compact or spaced out.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "event/snowplow_decode.h"
#include "event/tests/snowplow_payloads.h"

namespace clicktrail::event {
namespace {

using namespace snowplow_test;

TEST(snowplow_decode, a_self_describing_event_is_named_by_its_schema_and_its_data_lifted) {
  const std::string ue = unstruct("iglu:com.acme/Checkout_Started/jsonschema/1-0-0",
                                  R"({"cart_id":"c-9","total":42.5,"items":[1,2]})");
  const event e = only_event(decode_tp2_body(payload_data(
      std::string(R"({"e":"ue","ue_pr":)") + json_string(ue) + R"(,"aid":"shop","dtm":"1718000000000"})")));
  EXPECT_EQ(e.type, "checkout_started");
  EXPECT_EQ(e.props, R"({"cart_id":"c-9","total":42.5,"items":[1,2],"snowplow":{"aid":"shop","schema":)"
                     R"("iglu:com.acme/Checkout_Started/jsonschema/1-0-0"}})");
}

TEST(snowplow_decode, self_describing_data_that_cannot_be_lifted_goes_to_props_snowplow_data) {
  // Its own "snowplow" key would collide; an array has no members to lift.
  for (const std::string_view data : {R"({"snowplow":1,"a":2})", R"([1,2])", R"("text")"}) {
    const std::string ue = unstruct("iglu:com.acme/thing/jsonschema/1-0-0", data);
    const event e = only_event(
        decode_tp2_body(payload_data(std::string(R"({"e":"ue","ue_pr":)") + json_string(ue) + "}")));
    EXPECT_EQ(e.props,
              std::string(R"({"snowplow":{"schema":"iglu:com.acme/thing/jsonschema/1-0-0","data":)") +
                  std::string(data) + "}}");
  }
}

TEST(snowplow_decode, a_link_click_fills_the_target_columns) {
  const std::string ue = unstruct("iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1",
                                  R"({"targetUrl":"https://other.example/x","elementId":"buy",)"
                                  R"("elementClasses":["btn","btn-primary"],"elementContent":"Buy now",)"
                                  R"("elementTarget":"_blank"})");
  const event e =
      only_event(decode_tp2_body(payload_data(std::string(R"({"e":"ue","ue_pr":)") + json_string(ue) + "}")));
  EXPECT_EQ(e.type, "link_click");
  EXPECT_EQ(e.target_href, "https://other.example/x");
  EXPECT_EQ(e.target_id, "buy");
  EXPECT_EQ(e.target_classes, "btn btn-primary");
  EXPECT_EQ(e.target_text, "Buy now");
  EXPECT_EQ(e.props, R"({"elementTarget":"_blank","snowplow":{"schema":)"
                     R"("iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1"}})");
}

TEST(snowplow_decode, nested_json_is_spelled_as_the_stored_event_reads_it_back) {
  // Escapes and numbers the trackers may spell otherwise than write_compact does (a \f, a 1.50)
  // are written out again, so that decode_stored(encode(e)) gives back the same props.
  const std::string ue = unstruct("iglu:com.acme/signup/jsonschema/1-0-0", R"({"plan":"a\fb","price":1.50})");
  const std::string co =
      std::string(R"({"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0",)") +
      R"("data":[{"schema":"iglu:com.acme/page/jsonschema/1-0-0","data":{"id":"0c8e\f0e"}}]})";
  const event e = only_event(decode_tp2_body(
      payload_data(fmt::format(R"({{"e":"ue","ue_pr":{},"co":{}}})", json_string(ue), json_string(co)))));
  EXPECT_EQ(
      e.props,
      R"({"plan":"a\u000cb","price":1.5,"snowplow":{"schema":"iglu:com.acme/signup/jsonschema/1-0-0",)"
      R"("contexts":[{"schema":"iglu:com.acme/page/jsonschema/1-0-0","data":{"id":"0c8e\u000c0e"}}]}})");
  expect_survives_storage(e);
}

TEST(snowplow_decode, base64_contexts_and_events_with_and_without_padding_in_either_alphabet) {
  // In standard base64 the event has a '+' and the contexts a '/'; one of them needs padding.
  const std::string ue = unstruct("iglu:com.acme/signup/jsonschema/1-0-0", R"({"plan":"pro é~?>>"})");
  const std::string co =
      std::string(R"({"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1",)") +
      R"("data":[{"schema":"iglu:com.acme/user/jsonschema/1-0-0","data":{"tier":"gold ??>"}}]})";
  const std::string expected_props =
      R"({"plan":"pro é~?>>","snowplow":{"schema":"iglu:com.acme/signup/jsonschema/1-0-0","contexts":)"
      R"([{"schema":"iglu:com.acme/user/jsonschema/1-0-0","data":{"tier":"gold ??>"}}]}})";
  ASSERT_NE(standard_base64(ue).find('+'), std::string::npos);
  ASSERT_NE(standard_base64(co).find('/'), std::string::npos);
  ASSERT_TRUE(standard_base64(ue).ends_with('=') || standard_base64(co).ends_with('='));
  const std::string forms[][2] = {
      {base64url(ue), base64url(co)},              // tracker-core's base64urlencode
      {standard_base64(ue), standard_base64(co)},  // other trackers: standard, padded
      {base64url(ue) + "==", base64url(co) + "="},
  };
  for (const auto& [px, cx] : forms) {
    const event e = only_event(
        decode_tp2_body(payload_data(fmt::format(R"({{"e":"ue","ue_px":"{}","cx":"{}"}})", px, cx))));
    EXPECT_EQ(e.type, "signup");
    EXPECT_EQ(e.props, expected_props) << px;
  }
}

TEST(snowplow_decode, contexts_are_kept_compact_however_they_were_sent) {
  // The trackers send compact contexts, copied as they are; spaced-out ones are written out
  // compact, with the same text in props.
  const std::string compact =
      R"({\"schema\":\"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0\",\"data\":)"
      R"([{\"schema\":\"iglu:com.acme/cart/jsonschema/1-0-0\",\"data\":{\"sku\":\"a \\\"b\\\"\",\"n\":[1,2]}}]})";
  const std::string spaced =
      R"({ \"schema\" : \"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0\",\n \"data\" : )"
      R"([ { \"schema\":\"iglu:com.acme/cart/jsonschema/1-0-0\", \"data\": {\"sku\":\"a \\\"b\\\"\", \"n\":[1, 2]} } ] })";
  const std::string expected =
      R"({"snowplow":{"contexts":[{"schema":"iglu:com.acme/cart/jsonschema/1-0-0","data":{"sku":"a \"b\"","n":[1,2]}}]}})";
  EXPECT_EQ(only_event(decode_tp2_body(payload_data(R"({"e":"pv","co":")" + compact + R"("})"))).props,
            expected);
  EXPECT_EQ(only_event(decode_tp2_body(payload_data(R"({"e":"pv","co":")" + spaced + R"("})"))).props,
            expected);
  // At the depth limit exactly (props → snowplow → contexts → entity → data → n), both ways.
  limits exact;
  exact.max_props_depth = 6;
  EXPECT_EQ(only_event(decode_tp2_body(payload_data(R"({"e":"pv","co":")" + compact + R"("})"), exact)).props,
            expected);
  EXPECT_EQ(only_event(decode_tp2_body(payload_data(R"({"e":"pv","co":")" + spaced + R"("})"), exact)).props,
            expected);
  exact.max_props_depth = 5;
  for (const std::string& co : {compact, spaced}) {
    EXPECT_EQ(rejection_of_event(R"({"e":"pv","co":")" + co + R"("})", exact).why, reason::props_invalid);
  }
}

TEST(snowplow_decode, self_describing_data_is_lifted_the_same_however_it_was_sent) {
  const auto ue = [](std::string_view data) {
    return R"({"e":"ue","ue_pr":"{\"schema\":\"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0\",)"
           R"(\"data\":{\"schema\":\"iglu:com.acme/signup/jsonschema/1-0-0\",\"data\":)" +
           std::string(data) + R"(}}"})";
  };
  const std::string expected =
      R"({"plan":"a \"b\"","n":[1,{"k":null}],"snowplow":{"schema":"iglu:com.acme/signup/jsonschema/1-0-0"}})";
  EXPECT_EQ(
      only_event(decode_tp2_body(payload_data(ue(R"({\"plan\":\"a \\\"b\\\"\",\"n\":[1,{\"k\":null}]})"))))
          .props,
      expected);
  EXPECT_EQ(only_event(decode_tp2_body(
                           payload_data(ue(R"({ \"plan\" : \"a \\\"b\\\"\", \"n\": [1, {\"k\":null}] })"))))
                .props,
            expected);
  EXPECT_EQ(only_event(decode_tp2_body(payload_data(ue("{}")))).props,
            R"({"snowplow":{"schema":"iglu:com.acme/signup/jsonschema/1-0-0"}})");
  // props → n → {…}: three deep, whichever way it came.
  limits shallow;
  shallow.max_props_depth = 2;
  EXPECT_EQ(rejection_of_event(ue(R"({\"n\":[1,{\"k\":null}]})"), shallow).why, reason::props_invalid);
  EXPECT_EQ(rejection_of_event(ue(R"({\"n\": [1, {\"k\":null}]})"), shallow).why, reason::props_invalid);
}

}  // namespace
}  // namespace clicktrail::event
