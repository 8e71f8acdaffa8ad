// The Snowplow and Segment doors of the pipeline: their answers, the cookie, SP-Anonymous,
// server-side hints, and that a compat 2xx waits for the bad records it covers.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <optional>

#include "base/base64.h"
#include "base/uuid.h"
#include "event/decode.h"
#include "event/encode.h"
#include "ingest/pipeline.h"
#include "ingest/tests/recording_log.h"

namespace clicktrail::ingest {
namespace {

constexpr std::string_view payload_schema =
    "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4";

class compat_doors_test : public ::testing::Test {
 protected:
  compat_doors_test() : pipe_(ingest_config(), sites(), enrich_, log_, metrics_, snowplow_config(), {}) {}

  static config::ingest_config ingest_config() {
    config::ingest_config c;
    c.max_body = 64 * 1024;
    c.max_events = 5;
    c.max_event_bytes = 4096;
    c.anonymize_ip = true;
    c.produce_timeout = std::chrono::milliseconds(200);
    return c;
  }
  static config::snowplow_config snowplow_config() {
    config::snowplow_config c;
    c.cookie_domains = {"example.com"};
    return c;
  }
  static std::vector<config::site_config> sites() {
    config::site_config shop, blog;
    shop.key = "shop";
    shop.origins = {"https://www.example.com"};
    shop.snowplow_app_ids = {"shop-web", "shop-app"};
    shop.segment_write_keys = {"wk_shop"};
    blog.key = "blog";  // no app ids: its key is its app id; no write keys: no Segment traffic
    blog.any_origin = true;
    return {shop, blog};
  }
  static enrich::collector_enricher enricher() {
    return std::move(enrich::collector_enricher::open({}, sites())).value();
  }

  static std::string tp2(std::string_view events) {
    return fmt::format(R"({{"schema":"{}","data":[{}]}})", payload_schema, events);
  }
  static ingest_request request(std::string body) {
    ingest_request r;
    r.body = std::move(body);
    r.peer = "203.0.113.77";
    r.content_type = "application/json; charset=UTF-8";
    r.origin = "https://www.example.com";
    r.user_agent = "Mozilla/5.0 test";
    return r;
  }
  ingest_response snowplow(ingest_request req, bool pixel = false) {
    std::optional<ingest_response> answer;
    pipe_.serve(ingest_route{pixel ? "GET" : "POST", "", pixel ? door::snowplow_pixel : door::snowplow_post,
                             protocol::snowplow},
                std::move(req), [&](ingest_response r) { answer = std::move(r); });
    EXPECT_TRUE(answer.has_value());
    return answer.value_or(ingest_response{});
  }
  ingest_response segment(ingest_request req, event::segment_call call) {
    std::optional<ingest_response> answer;
    pipe_.serve(ingest_route{"POST", "", door::segment, protocol::segment, call}, std::move(req),
                [&](ingest_response r) { answer = std::move(r); });
    EXPECT_TRUE(answer.has_value());
    return answer.value_or(ingest_response{});
  }
  static std::string header(const ingest_response& r, std::string_view name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return {};
  }
  std::vector<event::event> stored() const {
    std::vector<event::event> out;
    for (const auto& r : log_.records(stream::events)) out.push_back(event::decode_stored(r.value).value());
    return out;
  }

  base::registry metrics_;
  recording_log log_;
  enrich::collector_enricher enrich_ = enricher();
  pipeline pipe_;
};

TEST_F(compat_doors_test, a_tp2_post_is_answered_ok_with_cors_credentials_and_a_new_sp_cookie) {
  const auto r = snowplow(request(tp2(R"({"e":"pv","aid":"shop-web","url":"https://www.example.com/a"})")));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "https://www.example.com");
  EXPECT_EQ(header(r, "Access-Control-Allow-Credentials"), "true");
  const std::string cookie = header(r, "Set-Cookie");
  ASSERT_TRUE(cookie.starts_with("sp=")) << cookie;
  const std::string id = cookie.substr(3, 36);
  EXPECT_EQ(base::parse_uuid(id)->version(), 4);
  EXPECT_NE(cookie.find("; Domain=example.com; Secure; HttpOnly; SameSite=None"), std::string::npos)
      << cookie;
  const auto events = stored();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].site, "shop");
  EXPECT_EQ(events[0].type, "page_view");
  EXPECT_EQ(events[0].network_id, id) << "the first page view already has the id it is given";
  EXPECT_EQ(events[0].ip, "203.0.113.0");
}

TEST_F(compat_doors_test, the_sp_cookie_sent_is_kept_and_a_nuid_overrides_it) {
  auto req = request(tp2(
      R"({"e":"pv","aid":"shop-web"},{"e":"pv","aid":"shop-web","nuid":"3f0b6c2e-6f7a-4c55-9a59-0cf7d1f5d3a1"})"));
  req.cookie = "_sp_id.1fff=x; sp=9D1F4A2B-7C3E-4B8A-A1D2-3E4F5A6B7C8D; other=1";
  const auto r = snowplow(std::move(req));
  EXPECT_TRUE(header(r, "Set-Cookie").starts_with("sp=9d1f4a2b-7c3e-4b8a-a1d2-3e4f5a6b7c8d;"));
  const auto events = stored();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].network_id, "9d1f4a2b-7c3e-4b8a-a1d2-3e4f5a6b7c8d");
  EXPECT_EQ(events[1].network_id, "3f0b6c2e-6f7a-4c55-9a59-0cf7d1f5d3a1");
}

TEST_F(compat_doors_test, sp_anonymous_stores_no_cookie_no_address_and_no_network_id) {
  auto req = request(tp2(R"({"e":"pv","aid":"shop-web","ip":"198.51.100.9"})"));
  req.sp_anonymous = true;
  req.cookie = "sp=9d1f4a2b-7c3e-4b8a-a1d2-3e4f5a6b7c8d";
  const auto r = snowplow(std::move(req));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(header(r, "Set-Cookie"), "");
  const auto events = stored();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].ip);
  EXPECT_FALSE(events[0].network_id);
  EXPECT_EQ(events[0].ua, "Mozilla/5.0 test") << "the user agent is kept, as Snowplow keeps it";
}

TEST_F(compat_doors_test, a_server_side_trackers_ip_and_user_agent_replace_the_requests) {
  auto req = request(tp2(R"({"e":"pv","aid":"blog","ip":"198.51.100.9","ua":"Mozilla/5.0 (X11) theirs"})"));
  req.origin.clear();
  snowplow(std::move(req));
  const auto events = stored();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].site, "blog");
  EXPECT_EQ(events[0].ip, "198.51.100.0");
  EXPECT_EQ(events[0].ua, "Mozilla/5.0 (X11) theirs");
}

TEST_F(compat_doors_test, snowplow_answers_ok_for_bad_input_once_its_bad_record_is_durable) {
  for (const auto& body :
       {std::string("{not json"), tp2(R"({"e":"pv","aid":"nobody"})"), tp2(R"({"e":"pv"})")}) {
    const auto before = log_.records(stream::bad).size();
    EXPECT_EQ(snowplow(request(body)).status, 200u) << body;
    EXPECT_EQ(log_.records(stream::bad).size(), before + 1) << body;
  }
  const auto bad = log_.records(stream::bad);
  EXPECT_NE(bad[0].value.find(R"("reason":"invalid_json")"), std::string::npos);
  EXPECT_NE(bad[1].value.find(R"("reason":"unknown_site")"), std::string::npos);
  EXPECT_NE(bad[2].value.find(R"("reason":"missing_site")"), std::string::npos);
  EXPECT_TRUE(log_.records(stream::events).empty());

  log_.fail_from_now(true);  // a bad record that is not durable is not answered 200
  EXPECT_EQ(snowplow(request("{not json")).status, 503u);
}

TEST_F(compat_doors_test, events_of_another_app_id_are_rejected_as_site_mismatch) {
  const auto r = snowplow(request(tp2(R"({"e":"pv","aid":"shop-web"},{"e":"pv","aid":"blog"})")));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(stored().size(), 1u);
  const auto bad = log_.records(stream::bad);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].value.find(R"("reason":"site_mismatch")"), std::string::npos) << bad[0].value;
  EXPECT_NE(bad[0].value.find(R"("index":1)"), std::string::npos) << bad[0].value;
}

TEST_F(compat_doors_test, two_app_ids_of_one_site_share_a_request) {
  EXPECT_EQ(snowplow(request(tp2(R"({"e":"pv","aid":"shop-web"},{"e":"pv","aid":"shop-app"})"))).status,
            200u);
  EXPECT_EQ(stored().size(), 2u);
  EXPECT_TRUE(log_.records(stream::bad).empty());
}

TEST_F(compat_doors_test, an_oversized_single_message_is_400_even_before_its_write_key_is_read) {
  auto req = request(R"({"event":"x","userId":"u","writeKey":"wk_shop","properties":{"p":")" +
                     std::string(40 * 1024, 'x') + R"("}})");
  const auto r = segment(std::move(req), event::segment_call::track);
  EXPECT_EQ(r.status, 400u);
  EXPECT_TRUE(r.body.starts_with(R"({"success":false,"error":"event_too_large")")) << r.body.substr(0, 200);
}

TEST_F(compat_doors_test, an_origin_the_site_does_not_allow_is_403) {
  auto req = request(tp2(R"({"e":"pv","aid":"shop-web"})"));
  req.origin = "https://evil.example";
  EXPECT_EQ(snowplow(std::move(req)).status, 403u);
  EXPECT_TRUE(log_.records(stream::events).empty());
}

TEST_F(compat_doors_test, the_pixel_is_a_gif_that_is_never_cached) {
  auto req = request("");
  req.query = "e=pv&aid=shop-web&url=https%3A%2F%2Fwww.example.com%2F";
  const auto r = snowplow(std::move(req), true);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "image/gif");
  EXPECT_EQ(header(r, "Cache-Control"), "no-cache, no-store, must-revalidate");
  ASSERT_EQ(stored().size(), 1u);
  EXPECT_EQ(stored()[0].page_url, "https://www.example.com/");
}

TEST_F(compat_doors_test, a_segment_batch_is_answered_success_with_ids_derived_per_site) {
  auto req = request(
      R"({"batch":[{"type":"track","event":"Order Completed","userId":"u1","messageId":"node-next-1"},)"
      R"({"type":"page","anonymousId":"a1","messageId":"0b8e8d52-1c55-4c1e-9a51-5f1e6a7b8c9d"}],)"
      R"("sentAt":"2024-05-01T12:00:01Z"})");
  std::string auth = "Basic ";
  base::append_base64(auth, "wk_shop:");
  req.authorization = auth;
  req.retry = true;
  const auto r = segment(std::move(req), event::segment_call::batch);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, R"({"success":true})");
  EXPECT_NE(metrics_.expose().find(R"(clicktrail_ingest_retries_total{protocol="segment"} 1)"),
            std::string::npos);
  EXPECT_EQ(header(r, "Access-Control-Allow-Credentials"), "true");
  const auto events = stored();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].site, "shop");
  EXPECT_EQ(events[0].type, "order_completed");
  EXPECT_EQ(events[0].event_id,
            event::foreign_event_id(event::segment_id_namespace(), "shop", "node-next-1"));
  EXPECT_EQ(events[1].event_id, "0b8e8d52-1c55-4c1e-9a51-5f1e6a7b8c9d");
}

TEST_F(compat_doors_test, segment_refuses_with_its_status_and_success_false) {
  struct refusal_case {
    std::string body;
    std::string authorization;
    std::string content_type;
    unsigned status;
    std::string code;
  };
  std::string basic = "Basic ";
  base::append_base64(basic, "wk_shop:");
  const std::vector<refusal_case> cases = {
      {R"({"event":"x","userId":"u"})", "", "text/plain", 401, "missing_site"},
      {R"({"event":"x","userId":"u","writeKey":"nope"})", "", "text/plain", 401, "unknown_site"},
      {"{not json", basic, "text/plain", 400, "invalid_json"},
      {R"({"userId":"u"})", basic, "text/plain", 400, "missing_field"},
      {R"({"event":"x","userId":"u"})", basic, "application/xml", 415, "unsupported_content_type"},
  };
  for (const auto& c : cases) {
    auto req = request(c.body);
    req.authorization = c.authorization;
    req.content_type = c.content_type;
    const auto before = log_.records(stream::bad).size();
    const auto r = segment(std::move(req), event::segment_call::track);
    EXPECT_EQ(r.status, c.status) << c.code << ": " << r.body;
    EXPECT_TRUE(r.body.starts_with(R"({"success":false,"error":")" + c.code + "\"")) << r.body;
    EXPECT_EQ(log_.records(stream::bad).size(), before + 1) << c.code;
  }
  EXPECT_TRUE(log_.records(stream::events).empty());
}

TEST_F(compat_doors_test, a_compat_2xx_waits_for_the_bad_records_of_its_batch) {
  log_.hold_from_now();
  std::optional<ingest_response> answer;
  auto req = request(
      R"({"writeKey":"wk_shop","batch":[{"type":"track","event":"ok","userId":"u"},{"type":"track"}]})");
  pipe_.serve(ingest_route{"POST", "", door::segment, protocol::segment, event::segment_call::batch},
              std::move(req), [&](ingest_response r) { answer = std::move(r); });
  EXPECT_FALSE(answer) << "neither the event nor the bad record is durable yet";
  EXPECT_EQ(log_.records(stream::bad).size(), 1u);
  log_.release_held({});
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200u);
}

}  // namespace
}  // namespace clicktrail::ingest
