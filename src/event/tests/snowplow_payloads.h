#pragma once
// decode_tp2_body and decode_tp2_query: what Snowplow's trackers send, each row of
// docs/compat-snowplow.md, and every way a body or an event is refused.
//
// The payloads are written as the trackers build them. Sources (npm tarballs, `npm pack`):
//   @snowplow/tracker-core@4.10.1 dist/index.module.js — trackerCore.track (eid, payload pairs,
//     dtm/ttm from getTimestamp, co/cx), buildPageView/buildPagePing/buildStructEvent/
//     buildSelfDescribingEvent, payloadJsonProcessor + base64urlencode (URL-safe, '=' stripped),
//     encloseInPayloadDataEnvelope (payload_data 1-0-4), attachStmToEvent, preparePostBody (every
//     value a string), getQuerystring (GET: co/cx last);
//   @snowplow/browser-tracker-core@4.10.1 dist/index.module.js — the payload pairs tv, tna, aid,
//     p, cookie, cs, lang, res, cd, tz; the callback's vp, ds, vid, sid, duid, uid, refr, url; the
//     web_page entity (WEB_PAGE_SCHEMA);
//   @snowplow/node-tracker@4.8.0 dist/index.module.js — newTracker: encodeBase64 defaults to
//     true, p=srv, tv=node-4.8.0, addUserInformation's duid, nuid, sid, vid.
// The packages ship no test fixtures; captured fixtures come with tests/compat/ (issue 14, step 3).
//
// What the Snowplow decoder's tests share: payloads as the trackers build them, and the checks
// that read one event, rejection or refusal out of a decoded batch.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "base/base64.h"
#include "event/decode.h"
#include "event/encode.h"
#include "event/snowplow_decode.h"

namespace clicktrail::event::snowplow_test {

// tracker-core's base64urlencode: base64, then '=' removed, '+' → '-', '/' → '_'.
inline std::string base64url(std::string_view json) {
  std::string out;
  base::append_base64(out, json);
  while (out.ends_with('=')) out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

inline std::string standard_base64(std::string_view json) {
  std::string out;
  base::append_base64(out, json);
  return out;
}

// encloseInPayloadDataEnvelope.
inline std::string payload_data(std::string_view events) {
  return std::string(
             R"({"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[)") +
         std::string(events) + "]}";
}

inline const event& only_event(const foreign_batch& b) {
  EXPECT_FALSE(b.base.refused) << b.base.refused->detail;
  for (const rejection& r : b.base.rejected) ADD_FAILURE() << to_string(r.what.why) << ": " << r.what.detail;
  EXPECT_EQ(b.base.events.size(), 1u);
  EXPECT_EQ(b.hints.size(), b.base.events.size());
  static const event none;
  return b.base.events.empty() ? none : b.base.events[0];
}

// A decoded event, stamped as the collector stamps it, stored and read back by the sink: the same
// event, or a failure that shows what changed.
inline void expect_survives_storage(event e) {
  if (e.event_id.empty()) e.event_id = "0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f60";
  e.site = "shop";
  e.collector_ts = 1718000000300;
  e.event_ts = 1718000000177;
  std::string record;
  encode(e, record);
  const auto back = decode_stored(record);
  ASSERT_TRUE(back.ok()) << back.err().message;
  EXPECT_EQ(*back, e);
}

inline problem only_rejection(const foreign_batch& b) {
  EXPECT_FALSE(b.base.refused) << b.base.refused->detail;
  EXPECT_TRUE(b.base.events.empty());
  EXPECT_EQ(b.base.rejected.size(), 1u);
  return b.base.rejected.empty() ? problem{} : b.base.rejected[0].what;
}

inline problem rejection_of_event(std::string_view event_json, const limits& lim = {}) {
  return only_rejection(decode_tp2_body(payload_data(event_json), lim));
}

inline problem refusal_of(std::string_view body, const limits& lim = {}) {
  const foreign_batch b = decode_tp2_body(body, lim);
  EXPECT_TRUE(b.base.refused) << body;
  EXPECT_TRUE(b.base.events.empty());
  EXPECT_TRUE(b.base.rejected.empty());
  EXPECT_TRUE(b.hints.empty());
  return b.base.refused.value_or(problem{});
}

// The web_page entity the browser tracker attaches to every event (co when POST).
inline constexpr std::string_view web_page_co =
    R"({\"schema\":\"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0\",\"data\":[{\"schema\":)"
    R"(\"iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0\",\"data\":{\"id\":)"
    R"(\"0c8e4f0e-6f1b-4a3d-9c55-1d2e3f4a5b6c\"}}]})";

// A page view from @snowplow/browser-tracker 4.10.1 over POST, keys in the order trackerCore and
// the browser callback add them.
inline std::string browser_page_view() {
  return std::string(
             R"({"e":"pv","url":"https://shop.example/p/42?ref=mail#top","page":"Blue shoes",)"
             R"("eid":"5E8A3F0C-6B1D-4C2E-9F3A-7B8C9D0E1F2A","tv":"js-4.10.1","tna":"sp","aid":"shop",)"
             R"("p":"web","cookie":"1","cs":"UTF-8","lang":"en-GB","res":"1920x1080","cd":"24",)"
             R"("tz":"Europe/London","dtm":"1718000000000","co":")") +
         std::string(web_page_co) +
         R"(","vp":"1280x720","ds":"1265x3000","vid":"3",)"
         R"("sid":"9b2d1f4e-8c7a-4b6e-a5d3-2f1e0c9b8a7d","duid":"4d3c2b1a-0f9e-4d8c-b7a6-958473625140",)"
         R"("uid":"alice@example.com","refr":"https://search.example/?q=shoes",)"
         R"("stm":"1718000000123"})";
}

// buildSelfDescribingEvent's ue_pr (POST) and ue_px (GET and the node tracker).
inline std::string unstruct(std::string_view schema, std::string_view data) {
  return std::string(R"({"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0",)") +
         R"("data":{"schema":")" + std::string(schema) + R"(","data":)" + std::string(data) + "}}";
}

inline std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}
}  // namespace clicktrail::event::snowplow_test
