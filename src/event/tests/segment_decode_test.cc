// decode_segment: bodies as Segment's own libraries send them, every call kind, the mapping
// table of docs/compat-segment.md, and the limits and refusals.
//
// Payload shapes are taken from the npm tarballs (`npm pack`):
//   @segment/analytics-next@1.84.3: dist/pkg/plugins/segmentio/normalize.js (writeKey, sentAt,
//     _metadata), plugins/env-enrichment/index.js (context.userAgent, userAgentData, locale,
//     library {name: 'analytics.js', version: 'npm:next-1.84.3'}, campaign from utm_*, timezone),
//     core/events/index.js (messageId "ajs-next-<ms>-<uuid>"), core/page (context.page and the
//     page call's properties: path, referrer, search, title, url).
//   @segment/analytics-node@3.1.0: dist/esm/plugins/segmentio/publisher.js ({batch, writeKey,
//     sentAt} to /v1/batch), plugins/segmentio/index.js (context.library, _metadata.nodeVersion,
//     _metadata.jsRuntime), lib/get-message-id.js ("node-next-<ms>-<uuid>");
//   @segment/analytics-core@1.8.3 dist/esm/events/index.js (timestamp, integrations, messageId).

#include "event/segment_decode.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

namespace clicktrail::event {
namespace {

// analytics.js (analytics-next 1.84.3) page(), as fetch-dispatcher posts it to /v1/p.
constexpr std::string_view ajs_page = R"({
  "timestamp": "2024-05-01T12:00:00.123Z",
  "integrations": {},
  "type": "page",
  "properties": {
    "path": "/docs",
    "referrer": "https://www.google.com/",
    "search": "?utm_source=news&utm_medium=email&utm_campaign=launch",
    "title": "Docs – Shop",
    "url": "https://shop.example/docs?utm_source=news&utm_medium=email&utm_campaign=launch"
  },
  "category": null,
  "name": null,
  "context": {
    "page": {
      "path": "/docs",
      "referrer": "https://www.google.com/",
      "search": "?utm_source=news&utm_medium=email&utm_campaign=launch",
      "title": "Docs – Shop",
      "url": "https://shop.example/docs?utm_source=news&utm_medium=email&utm_campaign=launch"
    },
    "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "userAgentData": {"brands": [{"brand": "Chromium", "version": "124"}], "mobile": false, "platform": "macOS"},
    "locale": "en-GB",
    "library": {"name": "analytics.js", "version": "npm:next-1.84.3"},
    "campaign": {"source": "news", "medium": "email", "name": "launch"},
    "timezone": "Europe/London"
  },
  "messageId": "ajs-next-1714564800123-7c9e6679-7425-40de-944b-e07fc1f90ae7",
  "anonymousId": "5d3b8e2a-4f11-4c4e-9f0a-2a7c1b3d9e10",
  "writeKey": "wk_shop",
  "userId": null,
  "sentAt": "2024-05-01T12:00:00.456Z",
  "_metadata": {"bundled": ["Segment.io"], "unbundled": [], "bundledIds": []}
})";

// analytics.js track("Order Completed", {...}) to /v1/t.
constexpr std::string_view ajs_track =
    R"({"timestamp":"2024-05-01T14:00:00.100+02:00","integrations":{},)"
    R"("event":"Order Completed","type":"track",)"
    R"("properties":{"order_id":"o-1","total":42.5,"products":[{"sku":"a"}]},)"
    R"("context":{"page":{"path":"/cart","referrer":"","search":"",)"
    R"("title":"Cart","url":"https://shop.example/cart"},)"
    R"("userAgent":"Mozilla/5.0","locale":"en-GB",)"
    R"("library":{"name":"analytics.js","version":"npm:next-1.84.3"},)"
    R"("timezone":"Europe/Paris"},)"
    R"("messageId":"ajs-next-1714564800100-0b8f2d1e-0000-4000-8000-000000000001",)"
    R"("anonymousId":"anon-1","userId":"user-7","writeKey":"wk_shop",)"
    R"("sentAt":"2024-05-01T12:00:01.000Z","_metadata":{"bundled":["Segment.io"],)"
    R"("unbundled":[],"bundledIds":[]}})";

// analytics-node 3.1.0: publisher.js posts {batch, writeKey, sentAt} to /v1/batch; each message
// has context.library and _metadata from plugins/segmentio/index.js, and no context.page.
constexpr std::string_view node_batch = R"({"batch":[
  {"userId":"user-7","event":"Signed Up","properties":{"plan":"pro"},"type":"track",
   "context":{"library":{"name":"@segment/analytics-node","version":"3.1.0"}},
   "_metadata":{"nodeVersion":"v20.20.0","jsRuntime":"node"},"timestamp":"2024-05-01T12:00:00.000Z",
   "integrations":{},"messageId":"node-next-1714564800000-743be593-7789-4b74-8078-cbcc8894c586"},
  {"userId":"user-7","traits":{"name":"Ada","email":"ada@example.com"},"type":"identify",
   "context":{"library":{"name":"@segment/analytics-node","version":"3.1.0"}},
   "_metadata":{"nodeVersion":"v20.20.0","jsRuntime":"node"},"timestamp":"2024-05-01T12:00:00.001Z",
   "integrations":{},"messageId":"node-next-1714564800001-843be593-7789-4b74-8078-cbcc8894c586"},
  {"userId":"user-7","groupId":"acme","traits":{"plan":"enterprise"},"type":"group",
   "timestamp":"2024-05-01T12:00:00.002Z","messageId":"node-next-1714564800002-943be593-7789-4b74-8078-cbcc8894c586"},
  {"userId":"user-7","previousId":"anon-1","type":"alias",
   "timestamp":"2024-05-01T12:00:00.003Z","messageId":"node-next-1714564800003-a43be593-7789-4b74-8078-cbcc8894c586"},
  {"userId":"user-7","name":"Pricing","properties":{"url":"https://shop.example/pricing","title":"Pricing","plan":"pro"},
   "type":"page","timestamp":"2024-05-01T12:00:00.004Z","messageId":"node-next-1714564800004-b43be593-7789-4b74-8078-cbcc8894c586"},
  {"anonymousId":"app-1","name":"Home","type":"screen","context":{"screen":{"width":390,"height":844,"density":3}},
   "timestamp":"2024-05-01T12:00:00.005Z","messageId":"node-next-1714564800005-c43be593-7789-4b74-8078-cbcc8894c586"}
 ],"writeKey":"wk_node","sentAt":"2024-05-01T12:00:02.000Z"})";

foreign_batch decode(std::string_view body, segment_call call) {
  foreign_batch b = decode_segment(body, call);
  EXPECT_FALSE(b.base.refused) << b.base.refused->detail;
  EXPECT_EQ(b.hints.size(), b.base.events.size());
  return b;
}

problem refusal(std::string_view body, segment_call call, const segment_limits& seg = {}) {
  const foreign_batch b = decode_segment(body, call, {}, seg);
  EXPECT_TRUE(b.base.refused) << body.substr(0, 200);
  EXPECT_TRUE(b.base.events.empty());
  EXPECT_TRUE(b.base.rejected.empty());
  EXPECT_TRUE(b.hints.empty());
  EXPECT_TRUE(b.source_key.empty());
  return b.base.refused.value_or(problem{});
}

problem rejection(std::string_view body, segment_call call) {
  const foreign_batch b = decode_segment(body, call);
  EXPECT_FALSE(b.base.refused);
  EXPECT_TRUE(b.base.events.empty());
  EXPECT_EQ(b.base.rejected.size(), 1u);
  return b.base.rejected.empty() ? problem{} : b.base.rejected[0].what;
}

TEST(segment_decode, an_analytics_js_page_view) {
  const foreign_batch b = decode(ajs_page, segment_call::page);
  ASSERT_EQ(b.base.events.size(), 1u);
  const event& e = b.base.events[0];
  EXPECT_EQ(b.source_key, "wk_shop");
  EXPECT_EQ(b.hints[0].source_key, "wk_shop");
  EXPECT_EQ(e.type, "page_view");
  EXPECT_EQ(e.event_id, "");  // derived once the write key names the site
  EXPECT_EQ(b.hints[0].foreign_id, "ajs-next-1714564800123-7c9e6679-7425-40de-944b-e07fc1f90ae7");
  EXPECT_EQ(e.anonymous_id, "5d3b8e2a-4f11-4c4e-9f0a-2a7c1b3d9e10");
  EXPECT_FALSE(e.user_id);
  EXPECT_EQ(e.client_ts, 1'714'564'800'123);
  EXPECT_EQ(e.sent_ts, 1'714'564'800'456);
  EXPECT_EQ(e.page_url, "https://shop.example/docs?utm_source=news&utm_medium=email&utm_campaign=launch");
  EXPECT_EQ(e.page_path, "/docs");
  EXPECT_EQ(e.page_title, "Docs – Shop");
  EXPECT_EQ(e.referrer, "https://www.google.com/");
  EXPECT_EQ(e.utm_source, "news");
  EXPECT_EQ(e.utm_medium, "email");
  EXPECT_EQ(e.utm_campaign, "launch");
  EXPECT_FALSE(e.utm_term);
  EXPECT_EQ(e.locale, "en-GB");
  EXPECT_EQ(e.timezone, "Europe/London");
  EXPECT_FALSE(e.ua);  // the collector's field: the hint carries it
  EXPECT_EQ(b.hints[0].user_agent.value_or("").substr(0, 11), "Mozilla/5.0");
  EXPECT_FALSE(b.hints[0].ip);
  EXPECT_FALSE(e.truncated);
  // The page's properties equal the columns: left out. No writeKey (a credential), no search
  // (in page_url), no type, and nulls are absent.
  EXPECT_EQ(
      e.props,
      R"({"segment":{"integrations":{},"messageId":"ajs-next-1714564800123-7c9e6679-7425-40de-944b-e07fc1f90ae7",)"
      R"("_metadata":{"bundled":["Segment.io"],"unbundled":[],"bundledIds":[]},)"
      R"("context":{"userAgentData":{"brands":[{"brand":"Chromium","version":"124"}],"mobile":false,)"
      R"("platform":"macOS"},"library":{"name":"analytics.js","version":"npm:next-1.84.3"}}}})");
}

TEST(segment_decode, an_analytics_js_track_with_an_offset_time) {
  const foreign_batch b = decode(ajs_track, segment_call::track);
  ASSERT_EQ(b.base.events.size(), 1u);
  const event& e = b.base.events[0];
  EXPECT_EQ(e.type, "order_completed");
  EXPECT_EQ(e.user_id, "user-7");
  EXPECT_EQ(e.anonymous_id, "anon-1");
  EXPECT_EQ(e.client_ts, 1'714'564'800'100);  // 14:00:00.100+02:00 = 12:00:00.100Z
  EXPECT_EQ(e.sent_ts, 1'714'564'801'000);
  EXPECT_EQ(e.page_url, "https://shop.example/cart");
  EXPECT_EQ(e.referrer, "");
  EXPECT_EQ(e.timezone, "Europe/Paris");
  EXPECT_EQ(
      e.props,
      R"({"order_id":"o-1","total":42.5,"products":[{"sku":"a"}],"segment":{"integrations":{},"event":"Order Completed",)"
      R"("messageId":"ajs-next-1714564800100-0b8f2d1e-0000-4000-8000-000000000001",)"
      R"("_metadata":{"bundled":["Segment.io"],"unbundled":[],"bundledIds":[]},)"
      R"("context":{"library":{"name":"analytics.js","version":"npm:next-1.84.3"}}}})");
}

TEST(segment_decode, an_analytics_node_batch_of_every_call_kind) {
  const foreign_batch b = decode(node_batch, segment_call::batch);
  ASSERT_TRUE(b.base.rejected.empty()) << b.base.rejected[0].what.detail;
  ASSERT_EQ(b.base.events.size(), 6u);
  EXPECT_EQ(b.source_key, "wk_node");
  const auto& ev = b.base.events;
  EXPECT_EQ(ev[0].type, "signed_up");
  EXPECT_EQ(ev[1].type, "identify");
  EXPECT_EQ(ev[2].type, "group");
  EXPECT_EQ(ev[3].type, "alias");
  EXPECT_EQ(ev[4].type, "page_view");
  EXPECT_EQ(ev[5].type, "screen_view");
  for (std::size_t i = 0; i < ev.size(); ++i) {
    EXPECT_EQ(b.hints[i].source_key, "wk_node") << i;  // the body's, for messages without one
    EXPECT_EQ(ev[i].sent_ts, 1'714'564'802'000) << i;  // the batch's sentAt
    EXPECT_EQ(ev[i].client_ts, 1'714'564'800'000 + static_cast<std::int64_t>(i)) << i;
    EXPECT_TRUE(b.hints[i].foreign_id) << i;
  }
  EXPECT_EQ(
      ev[0].props,
      R"({"plan":"pro","segment":{"event":"Signed Up","_metadata":{"nodeVersion":"v20.20.0","jsRuntime":"node"},)"
      R"("integrations":{},"messageId":"node-next-1714564800000-743be593-7789-4b74-8078-cbcc8894c586",)"
      R"("context":{"library":{"name":"@segment/analytics-node","version":"3.1.0"}}}})");
  EXPECT_EQ(ev[1].props.value_or("").rfind(R"({"name":"Ada","email":"ada@example.com","segment":)", 0), 0u);
  EXPECT_EQ(ev[2].props, R"({"plan":"enterprise","segment":{"groupId":"acme",)"
                         R"("messageId":"node-next-1714564800002-943be593-7789-4b74-8078-cbcc8894c586"}})");
  EXPECT_EQ(ev[3].props, R"({"segment":{"previousId":"anon-1",)"
                         R"("messageId":"node-next-1714564800003-a43be593-7789-4b74-8078-cbcc8894c586"}})");
  // A server library's page call has no context.page: the columns come from properties.
  EXPECT_EQ(ev[4].page_url, "https://shop.example/pricing");
  EXPECT_EQ(ev[4].page_title, "Pricing");
  EXPECT_EQ(ev[4].props, R"({"plan":"pro","segment":{"name":"Pricing",)"
                         R"("messageId":"node-next-1714564800004-b43be593-7789-4b74-8078-cbcc8894c586"}})");
  EXPECT_EQ(ev[5].anonymous_id, "app-1");
  EXPECT_EQ(ev[5].screen_w, 390);
  EXPECT_EQ(ev[5].screen_h, 844);
  EXPECT_EQ(ev[5].props, R"({"segment":{"name":"Home",)"
                         R"("messageId":"node-next-1714564800005-c43be593-7789-4b74-8078-cbcc8894c586",)"
                         R"("context":{"screen":{"density":3}}}})");
}

TEST(segment_decode, every_single_call_kind_takes_its_type_from_the_route) {
  const struct {
    segment_call call;
    const char* type;
  } cases[] = {{segment_call::page, "page_view"},
               {segment_call::screen, "screen_view"},
               {segment_call::identify, "identify"},
               {segment_call::group, "group"},
               {segment_call::alias, "alias"}};
  for (const auto& c : cases) {
    // The route decides; a body's own type is not read.
    const foreign_batch b = decode(R"({"userId":"u","type":"track"})", c.call);
    ASSERT_EQ(b.base.events.size(), 1u) << c.type;
    EXPECT_EQ(b.base.events[0].type, c.type);
    EXPECT_FALSE(b.base.events[0].props) << c.type;
  }
}

TEST(segment_decode, a_batch_with_one_bad_message_rejects_it_with_its_index) {
  const std::string_view body = R"({"writeKey":"wk","batch":[{"type":"track","event":"A","userId":"u"},)"
                                R"({"type":"track","userId":"u"},)"
                                R"({"type":"page","anonymousId":"a"}]})";
  const foreign_batch b = decode(body, segment_call::batch);
  ASSERT_EQ(b.base.events.size(), 2u);
  ASSERT_EQ(b.base.rejected.size(), 1u);
  EXPECT_EQ(b.base.rejected[0].index, 1u);
  EXPECT_EQ(b.base.rejected[0].what.why, reason::missing_field);
  EXPECT_EQ(b.base.rejected[0].raw, R"({"type":"track","userId":"u"})");
  EXPECT_EQ(b.base.events[0].type, "a");
  EXPECT_EQ(b.base.events[1].type, "page_view");
  EXPECT_EQ(b.hints.size(), 2u);
}

TEST(segment_decode, batch_members_need_a_known_type) {
  const foreign_batch b =
      decode(R"({"batch":[{"userId":"u"},{"type":"purchase","userId":"u"},{"type":7,"userId":"u"},[1],)"
             R"({"type":"identify","userId":"u","writeKey":"own"}]})",
             segment_call::batch);
  ASSERT_EQ(b.base.rejected.size(), 4u);
  EXPECT_EQ(b.base.rejected[0].what.why, reason::missing_field);
  EXPECT_EQ(b.base.rejected[1].what.why, reason::invalid_type);
  EXPECT_EQ(b.base.rejected[2].what.why, reason::invalid_type);
  EXPECT_EQ(b.base.rejected[3].what.why, reason::not_an_object);
  EXPECT_EQ(b.base.rejected[3].index, 3u);
  ASSERT_EQ(b.base.events.size(), 1u);
  // No body writeKey: the first message's (none here); a message's own travels in its hint for
  // ingest's site check.
  EXPECT_EQ(b.source_key, "");
  EXPECT_EQ(b.hints[0].source_key, "own");
}

TEST(segment_decode, the_same_message_id_gives_the_same_event_id_per_site) {
  const std::string_view body = R"({"type":"track","event":"x","userId":"u","messageId":"1"})";
  foreign_batch a = decode(body, segment_call::track), again = decode(body, segment_call::track),
                other = decode(body, segment_call::track);
  derive_event_ids(a, segment_id_namespace(), "shop");
  derive_event_ids(again, segment_id_namespace(), "shop");
  derive_event_ids(other, segment_id_namespace(), "other");
  // Python: uuid.uuid5(uuid.UUID("ca0ce16b-88b8-543c-a35d-0ea05e9eebec"), "shop\n1")
  EXPECT_EQ(a.base.events[0].event_id, "ae0bd322-537d-5b11-b20b-c496c5f8b46f");
  EXPECT_EQ(again.base.events[0].event_id, a.base.events[0].event_id);
  EXPECT_EQ(other.base.events[0].event_id, "47dcaf4d-2b37-5076-b31b-c4b869a60214");
  EXPECT_EQ(a.base.events[0].props, R"({"segment":{"event":"x","messageId":"1"}})");

  foreign_batch ajs = decode(ajs_page, segment_call::page);
  derive_event_ids(ajs, segment_id_namespace(), "shop");
  // Python: uuid.uuid5(ns, "shop\najs-next-1714564800123-7c9e6679-7425-40de-944b-e07fc1f90ae7")
  EXPECT_EQ(ajs.base.events[0].event_id, "92c827cb-73b4-5b97-9bbc-1bd53cc345a1");
}

TEST(segment_decode, a_uuid_message_id_is_the_event_id) {
  foreign_batch b =
      decode(R"({"userId":"u","messageId":"0190E5B4-5A3C-7C6E-9A44-1B2C3D4E5F60"})", segment_call::identify);
  derive_event_ids(b, segment_id_namespace(), "shop");
  EXPECT_EQ(b.base.events[0].event_id, "0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f60");
  EXPECT_FALSE(b.hints[0].foreign_id);
  EXPECT_FALSE(b.base.events[0].props);
  // No messageId: empty, the collector assigns a UUIDv7.
  foreign_batch none = decode(R"({"userId":"u"})", segment_call::identify);
  derive_event_ids(none, segment_id_namespace(), "shop");
  EXPECT_EQ(none.base.events[0].event_id, "");
}

TEST(segment_decode, times) {
  const auto client_ts = [](std::string_view members) {
    const foreign_batch b = decode(fmt::format(R"({{"userId":"u",{}}})", members), segment_call::identify);
    return b.base.events.empty() ? std::nullopt : b.base.events[0].client_ts;
  };
  EXPECT_EQ(client_ts(R"("timestamp":"2024-05-01T08:00:00.5-04:00")"), 1'714'564'800'500);
  EXPECT_EQ(client_ts(R"("timestamp":1714564800500)"), 1'714'564'800'500);
  EXPECT_EQ(client_ts(R"("originalTimestamp":"2024-05-01T12:00:00Z")"), 1'714'564'800'000);
  // timestamp wins; originalTimestamp is kept.
  const foreign_batch both = decode(
      R"({"userId":"u","originalTimestamp":"2024-05-01T11:00:00Z","timestamp":"2024-05-01T12:00:00Z"})",
      segment_call::identify);
  EXPECT_EQ(both.base.events[0].client_ts, 1'714'564'800'000);
  EXPECT_EQ(both.base.events[0].props, R"({"segment":{"originalTimestamp":"2024-05-01T11:00:00Z"}})");
  // A message's sentAt wins over the batch's.
  const foreign_batch b = decode(R"({"sentAt":"2024-05-01T12:00:02Z","batch":[)"
                                 R"({"type":"identify","userId":"u","sentAt":"2024-05-01T12:00:01Z"}]})",
                                 segment_call::batch);
  EXPECT_EQ(b.base.events[0].sent_ts, 1'714'564'801'000);
  for (const char* bad : {R"("timestamp":"2024-05-01T12:00:00")", R"("timestamp":"yesterday")",
                          R"("sentAt":true)", R"("timestamp":-1)", R"("timestamp":"1969-12-31T23:59:59Z")"}) {
    EXPECT_EQ(rejection(fmt::format(R"({{"userId":"u",{}}})", bad), segment_call::identify).why,
              reason::invalid_field)
        << bad;
  }
  EXPECT_EQ(
      refusal(R"({"sentAt":"now","batch":[{"type":"identify","userId":"u"}]})", segment_call::batch).why,
      reason::invalid_field);
}

TEST(segment_decode, missing_required_fields) {
  EXPECT_EQ(rejection(R"({"userId":"u","properties":{}})", segment_call::track).why, reason::missing_field);
  EXPECT_EQ(rejection(R"({"event":"x"})", segment_call::track).why, reason::missing_field);
  EXPECT_EQ(rejection(R"({"event":"x","userId":"","anonymousId":null})", segment_call::track).why,
            reason::missing_field);
  EXPECT_EQ(rejection(R"({"event":5,"userId":"u"})", segment_call::track).why, reason::invalid_field);
  EXPECT_EQ(rejection(R"({"userId":5})", segment_call::identify).why, reason::invalid_field);
  EXPECT_EQ(rejection(R"({"userId":"u","context":"web"})", segment_call::identify).why,
            reason::invalid_field);
  EXPECT_EQ(rejection(R"({"userId":"u","context":{"page":{"url":7}}})", segment_call::page).why,
            reason::invalid_field);
  EXPECT_EQ(rejection(R"({"userId":"u","context":{"screen":{"width":-1}}})", segment_call::screen).why,
            reason::invalid_field);
  const foreign_batch b = decode_segment(R"({"event":"x"})", segment_call::track);
  ASSERT_EQ(b.base.rejected.size(), 1u);
  EXPECT_EQ(b.base.rejected[0].raw, R"({"event":"x"})");
}

TEST(segment_decode, malformed_bodies_are_refused) {
  EXPECT_EQ(refusal("{\"userId\":", segment_call::track).why, reason::invalid_json);
  EXPECT_EQ(refusal("", segment_call::batch).why, reason::invalid_json);
  EXPECT_EQ(refusal("{\"userId\":\"\xff\"}", segment_call::identify).why, reason::invalid_utf8);
  EXPECT_EQ(refusal(std::string(40, '[') + std::string(40, ']'), segment_call::track).why, reason::too_deep);
  EXPECT_EQ(refusal("[]", segment_call::track).why, reason::not_an_object);
  EXPECT_EQ(refusal(R"({"batch":{}})", segment_call::batch).why, reason::invalid_field);
  EXPECT_EQ(refusal(R"({"writeKey":"wk"})", segment_call::batch).why, reason::invalid_field);
  EXPECT_EQ(refusal(R"({"batch":[]})", segment_call::batch).why, reason::no_events);
  EXPECT_EQ(refusal(R"({"batch":[],"writeKey":3})", segment_call::batch).why, reason::invalid_field);
  std::string many = R"({"batch":[)";
  for (int i = 0; i < 501; ++i) many += R"({"type":"identify","userId":"u"},)";
  many.back() = ']';
  many += '}';
  EXPECT_EQ(refusal(many, segment_call::batch).why, reason::too_many_events);
}

TEST(segment_decode, segments_size_limits) {
  const std::string big(33 * 1024, 'x');
  // A single route: the body is the message; rejected unread, with its text for the bad table.
  const foreign_batch one = decode_segment(
      R"({"userId":"u","event":"x","properties":{"blob":")" + big + "\"}}", segment_call::track);
  ASSERT_EQ(one.base.rejected.size(), 1u);
  EXPECT_EQ(one.base.rejected[0].what.why, reason::event_too_large);
  EXPECT_EQ(one.base.rejected[0].raw.size(), 32u * 1024);
  // In a batch, only that message.
  const std::string body = R"({"batch":[{"type":"identify","userId":"u"},)"
                           R"({"type":"track","event":"x","userId":"u","properties":{"blob":")" +
                           big + R"("}},{"type":"identify","userId":"v"}]})";
  const foreign_batch b = decode(body, segment_call::batch);
  ASSERT_EQ(b.base.rejected.size(), 1u);
  EXPECT_EQ(b.base.rejected[0].index, 1u);
  EXPECT_EQ(b.base.rejected[0].what.why, reason::event_too_large);
  EXPECT_EQ(b.base.events.size(), 2u);
  // The whole body over 500 KiB.
  std::string huge = R"({"batch":[)";
  while (huge.size() <= 500 * 1024)
    huge += R"({"type":"identify","userId":"u","traits":{"t":")" + std::string(20000, 'y') + "\"}},";
  huge.back() = ']';
  huge += '}';
  EXPECT_EQ(refusal(huge, segment_call::batch).why, reason::event_too_large);
  segment_limits small;
  small.max_batch_bytes = 10;
  EXPECT_EQ(refusal(R"({"userId":"u1234"})", segment_call::identify, small).why, reason::event_too_large);
}

TEST(segment_decode, props_keep_their_limits) {
  const std::string big(17 * 1024, 'p');
  EXPECT_EQ(rejection(R"({"userId":"u","traits":{"t":")" + big + "\"}}", segment_call::identify).why,
            reason::props_invalid);
  EXPECT_EQ(rejection(R"({"userId":"u","traits":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}}})",
                      segment_call::identify)
                .why,
            reason::props_invalid);
  // Depth 8 passes; context leftovers sit three levels down (props.segment.context).
  EXPECT_TRUE(decode(R"({"userId":"u","traits":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":1}}}}}}}}})",
                     segment_call::identify)
                  .base.rejected.empty());
  EXPECT_TRUE(
      decode(R"({"userId":"u","context":{"device":{"a":{"b":{"c":{"d":{"e":1}}}}}}})", segment_call::identify)
          .base.rejected.empty());
  EXPECT_EQ(rejection(R"({"userId":"u","context":{"device":{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}}})",
                      segment_call::identify)
                .why,
            reason::props_invalid);
}

TEST(segment_decode, properties_that_cannot_be_lifted_stay_under_segment) {
  const foreign_batch b =
      decode(R"({"userId":"u","event":"x","properties":{"segment":1,"a":2}})", segment_call::track);
  EXPECT_EQ(b.base.events[0].props, R"({"segment":{"event":"x","properties":{"segment":1,"a":2}}})");
  const foreign_batch c = decode(R"({"userId":"u","event":"x","properties":[1,2]})", segment_call::track);
  EXPECT_EQ(c.base.events[0].props, R"({"segment":{"event":"x","properties":[1,2]}})");
  // identify's properties and track's traits are not what the call carries: kept under segment.
  const foreign_batch d = decode(R"({"userId":"u","properties":{"a":1}})", segment_call::identify);
  EXPECT_EQ(d.base.events[0].props, R"({"segment":{"properties":{"a":1}}})");
}

TEST(segment_decode, context_ip_and_search_without_a_url) {
  const foreign_batch b =
      decode(R"({"anonymousId":"a","context":{"ip":"203.0.113.9","page":{"search":"?q=1","path":"/s"},)"
             R"("campaign":{"term":"shoes","content":"banner","id":"c9"}}})",
             segment_call::page);
  const event& e = b.base.events[0];
  EXPECT_EQ(b.hints[0].ip, "203.0.113.9");
  EXPECT_FALSE(e.ip);
  EXPECT_EQ(e.utm_term, "shoes");
  EXPECT_EQ(e.utm_content, "banner");
  EXPECT_EQ(e.props, R"({"segment":{"context":{"page":{"search":"?q=1"},"campaign":{"id":"c9"}}}})");
}

TEST(segment_decode, long_text_is_cut_to_its_column) {
  const std::string title(2000, 't');
  const foreign_batch b =
      decode(R"({"anonymousId":"a","context":{"page":{"title":")" + title + "\"}}}", segment_call::page);
  EXPECT_EQ(b.base.events[0].page_title->size(), 1024u);
  EXPECT_TRUE(b.base.events[0].truncated);
}

TEST(segment_decode, type_names_in_snake_case) {
  EXPECT_EQ(segment_type_name("Order Completed"), "order_completed");
  EXPECT_EQ(segment_type_name("  Page -- View!! "), "page_view");
  EXPECT_EQ(segment_type_name("3D View"), "event_3d_view");
  EXPECT_EQ(segment_type_name("Café crème"), "caf_cr_me");
  EXPECT_EQ(segment_type_name("!!!"), "track");
  EXPECT_EQ(segment_type_name(""), "track");
  EXPECT_EQ(segment_type_name(std::string(100, 'A')), std::string(64, 'a'));
  EXPECT_EQ(segment_type_name("1" + std::string(100, 'b')), "event_1" + std::string(57, 'b'));
  EXPECT_EQ(segment_type_name(std::string(63, 'a') + " b"), std::string(63, 'a'));
}

}  // namespace
}  // namespace clicktrail::event
