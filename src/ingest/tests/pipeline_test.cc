#include "ingest/pipeline.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <optional>

#include "base/base64.h"
#include "event/encode.h"
#include "ingest/tests/recording_log.h"

namespace clicktrail::ingest {
namespace {

class pipeline_test : public ::testing::Test {
 protected:
  pipeline_test() : pipe_(config_for_test(), sites(), enrich_, log_, metrics_) {}

  static config::ingest_config config_for_test() {
    config::ingest_config c;
    c.max_body = 64 * 1024;
    c.max_events = 5;
    c.max_event_bytes = 4096;
    c.anonymize_ip = true;
    c.produce_timeout = std::chrono::milliseconds(200);
    return c;
  }
  static std::vector<config::site_config> sites() {
    config::site_config demo, open, quiet;
    demo.key = "demo";
    demo.origins = {"http://localhost:8080"};
    open.key = "open";
    open.any_origin = true;
    // Stores no person: ids derived without cookies, a pseudonymous user id, one more private
    // query parameter of its own.
    quiet.key = "quiet";
    quiet.any_origin = true;
    quiet.cookieless = true;
    quiet.pseudonymize_user_id = true;
    quiet.private_params = {"ref_mail", "utm_content"};
    return {demo, open, quiet};
  }
  static enrich::collector_enricher enricher() {
    config::enrich_config e;
    e.secret = std::string(32, 's');
    return std::move(enrich::collector_enricher::open(e, sites())).value();
  }

  ingest_request post(std::string body, std::string query = "site=demo") {
    ingest_request r;
    r.query = std::move(query);
    r.body = std::move(body);
    r.peer = "203.0.113.77";
    r.content_type = "application/json";
    r.origin = "http://localhost:8080";
    r.user_agent = "Mozilla/5.0 test";
    return r;
  }

  ingest_response call(ingest_request req) {
    std::optional<ingest_response> answer;
    pipe_.serve(ingest_route{"POST", "/v1/events", door::events}, std::move(req),
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

  base::registry metrics_;
  recording_log log_;
  enrich::collector_enricher enrich_ = enricher();
  pipeline pipe_;
};

TEST_F(pipeline_test, accepted_events_are_stamped_keyed_and_answered_204_with_cors) {
  const auto r =
      call(post(R"([{"type":"page_view","anonymous_id":"v1","page_url":"http://localhost:8080/?utm_source=x"},
                               {"type":"click","session_id":"s9"}])"));
  EXPECT_EQ(r.status, 204u);
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "http://localhost:8080");
  const auto records = log_.records(stream::events);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].key, "v1");
  EXPECT_EQ(records[1].key, "s9");
  const auto e = event::decode_stored(records[0].value);
  ASSERT_TRUE(e.ok()) << e.err().message;
  EXPECT_EQ(e->site, "demo");
  EXPECT_EQ(e->ip, "203.0.113.0");
  EXPECT_EQ(e->ua, "Mozilla/5.0 test");
  EXPECT_EQ(e->utm_source, "x");
  EXPECT_GT(e->collector_ts, 0);
  EXPECT_FALSE(e->event_id.empty());
  EXPECT_TRUE(log_.records(stream::bad).empty());
}

TEST_F(pipeline_test, a_site_that_derives_ids_needs_the_secret_to_start) {
  const auto opened = enrich::collector_enricher::open(config::enrich_config{}, sites());
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(
      opened.err().message.find("enrich.secret is not set, and sites \"quiet\" cookieless, sites \"quiet\" "
                                "pseudonymize_user_id need it"),
      std::string::npos)
      << opened.err().message;
}

TEST_F(pipeline_test, private_query_parameters_never_reach_the_log) {
  call(post(
      R"({"type":"page_view","page_url":"http://localhost:8080/a?email=a%40b.c&token=t0k&utm_source=x#top",
                "referrer":"https://mail.example/?session=s1&ref_mail=me"})",
      "site=quiet"));
  const auto records = log_.records(stream::events);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].value.find("a%40b.c"), std::string::npos) << records[0].value;
  EXPECT_EQ(records[0].value.find("t0k"), std::string::npos) << records[0].value;
  const auto e = event::decode_stored(records[0].value);
  ASSERT_TRUE(e.ok()) << e.err().message;
  EXPECT_EQ(e->page_url, "http://localhost:8080/a?utm_source=x#top");
  EXPECT_EQ(e->utm_source, "x");
  EXPECT_FALSE(e->utm_content) << "a listed utm_ parameter is gone before utm_* are read from the URL";
  EXPECT_EQ(e->referrer, "https://mail.example/") << "the site's own private parameter goes too";
}

TEST_F(pipeline_test, rejected_input_keeps_no_private_parameter_and_no_user_id_of_a_private_site) {
  // The second event is rejected (x is not a number): its raw text goes to the bad table.
  call(post(R"([{"type":"page_view"},
                {"type":"page_view","page_url":"https://s.example/reset?token=T0K&email=bob%40b.c",
                 "user_id":"bob@example.com","x":"far"}])",
            "site=quiet"));
  const auto bad = log_.records(stream::bad);
  ASSERT_EQ(bad.size(), 1u);
  const std::string& row = bad[0].value;  // raw_base64 is its last field: …"raw_base64":"…"}
  const auto from = row.find("\"raw_base64\":\"") + 14;
  const std::string raw = base::decode_base64(row.substr(from, row.rfind('"') - from)).value_or("");
  ASSERT_NE(raw.find("reset?token=&email="), std::string::npos) << raw;
  EXPECT_EQ(raw.find("T0K"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("bob"), std::string::npos) << raw;
}

TEST_F(pipeline_test, a_cookieless_site_derives_its_ids_and_pseudonymises_user_ids) {
  const auto body =
      R"({"type":"page_view","anonymous_id":"from-a-cookie","session_id":"s","user_id":"alice"})";
  call(post(body, "site=quiet"));
  call(post(body, "site=quiet"));
  call(post(body, "site=demo"));
  const auto records = log_.records(stream::events);
  ASSERT_EQ(records.size(), 3u);
  const auto first = event::decode_stored(records[0].value).value();
  const auto second = event::decode_stored(records[1].value).value();
  const auto elsewhere = event::decode_stored(records[2].value).value();
  ASSERT_TRUE(first.anonymous_id && first.session_id);
  EXPECT_NE(*first.anonymous_id, "from-a-cookie") << "a cookieless site replaces what a tracker sent";
  EXPECT_EQ(first.anonymous_id->size(), 36u);
  EXPECT_EQ(first.anonymous_id, second.anonymous_id) << "one visitor, one day: one id";
  EXPECT_EQ(first.session_id, second.session_id);
  EXPECT_EQ(records[0].key, *first.anonymous_id) << "the derived id keys the record";
  EXPECT_NE(first.user_id, "alice");
  EXPECT_TRUE(first.user_id->starts_with("p:")) << *first.user_id;
  EXPECT_EQ(elsewhere.anonymous_id, "from-a-cookie") << "other sites keep the tracker's ids";
  EXPECT_EQ(elsewhere.user_id, "alice");
}

TEST_F(pipeline_test, rejected_events_are_listed_and_sent_to_the_bad_stream) {
  const auto r = call(post(R"([{"type":"page_view"},{"type":"Not A Type"},{"type":"click","x":"far"}])"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_NE(r.body.find(R"("accepted":1)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"({"index":1,"reason":"invalid_type")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"({"index":2,"reason":"invalid_field")"), std::string::npos) << r.body;
  EXPECT_EQ(log_.records(stream::events).size(), 1u);
  const auto bad = log_.records(stream::bad);
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_NE(bad[0].value.find(R"("reason":"invalid_type")"), std::string::npos);
  EXPECT_NE(bad[0].value.find(R"("index":1)"), std::string::npos);
  EXPECT_NE(metrics_.expose().find(R"(clicktrail_ingest_events_rejected_total{reason="invalid_type"} 1)"),
            std::string::npos);
}

TEST_F(pipeline_test, each_refusal_has_its_status_and_lands_in_the_bad_stream) {
  struct refusal_case {
    ingest_request req;
    unsigned status;
    std::string code;
  };
  auto with = [&](auto change) {
    auto r = post(R"({"type":"page_view"})");
    change(r);
    return r;
  };
  std::vector<refusal_case> cases = {
      {post("{not json"), 400, "invalid_json"},
      {post(R"([{"type":"a"},{"type":"a"},{"type":"a"},{"type":"a"},{"type":"a"},{"type":"a"}])"), 413,
       "too_many_events"},
      {with([](auto& r) { r.query = "site=nope"; }), 401, "unknown_site"},
      {with([](auto& r) { r.query = ""; }), 401, "missing_site"},
      {with([](auto& r) { r.origin = "https://evil.example"; }), 403, "origin_not_allowed"},
      {with([](auto& r) { r.content_type = "application/xml"; }), 415, "unsupported_content_type"},
      {with([](auto& r) { r.content_encoding = "br"; }), 415, "unsupported_content_encoding"},
      {with([](auto& r) { r.body = std::string(70 * 1024, ' '); }), 413, "body_too_large"},
  };
  for (auto& c : cases) {
    const auto before = log_.records(stream::bad).size();
    const auto r = call(std::move(c.req));
    EXPECT_EQ(r.status, c.status) << c.code;
    EXPECT_NE(r.body.find("\"error\":\"" + c.code + "\""), std::string::npos) << r.body;
    EXPECT_EQ(log_.records(stream::bad).size(), before + 1) << c.code;
  }
  EXPECT_TRUE(log_.records(stream::events).empty());
}

TEST_F(pipeline_test, site_may_come_from_header_or_body_and_any_origin_sites_take_all) {
  auto by_header = post(R"({"type":"page_view"})", "");
  by_header.site_header = "demo";
  EXPECT_EQ(call(std::move(by_header)).status, 204u);
  EXPECT_EQ(call(post(R"({"site":"demo","events":[{"type":"page_view"}]})", "")).status, 204u);
  auto anywhere = post(R"({"type":"page_view"})", "site=open");
  anywhere.origin = "https://anything.example";
  EXPECT_EQ(call(std::move(anywhere)).status, 204u);
}

TEST_F(pipeline_test, events_not_durable_get_503_with_retry_after) {
  log_.fail_from_now(true);
  const auto r = call(post(R"({"type":"page_view"})"));
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(header(r, "Retry-After"), "2");
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "http://localhost:8080");
  EXPECT_NE(r.body.find("not_durable"), std::string::npos);
}

TEST_F(pipeline_test,
       events_still_unconfirmed_at_the_deadline_get_503_once_and_a_late_confirmation_is_ignored) {
  log_.hold_from_now();
  std::promise<ingest_response> answered;
  std::atomic<int> answers = 0;
  pipe_.serve(ingest_route{"POST", "/v1/events", door::events},
              post(R"([{"type":"page_view"},{"type":"click"}])"), [&](ingest_response r) {
                if (answers.fetch_add(1) == 0) answered.set_value(std::move(r));
              });
  auto future = answered.get_future();
  // produce_timeout is 200 ms; the bound here is only a guard against hanging.
  ASSERT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  const auto r = future.get();
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(header(r, "Retry-After"), "2");
  log_.release_held(base::status());
  EXPECT_EQ(answers.load(), 1);
}

TEST_F(pipeline_test, a_transports_earlier_deadline_wins) {
  auto cfg = config_for_test();
  cfg.produce_timeout = std::chrono::minutes(5);
  pipeline patient(cfg, sites(), enrich_, log_, metrics_);
  log_.hold_from_now();
  std::promise<unsigned> answered;
  auto req = post(R"({"type":"page_view"})");
  req.answer_by = base::steady::now();  // already passed: the answer must not wait 5 minutes
  patient.serve(ingest_route{"POST", "/v1/events", door::events}, std::move(req),
                [&](ingest_response r) { answered.set_value(r.status); });
  auto future = answered.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(future.get(), 503u);
  log_.release_held(base::status());
}

TEST_F(pipeline_test, pixel_answers_a_gif_and_refuses_unknown_parameters) {
  std::optional<ingest_response> answer;
  ingest_request req;
  req.query = "site=demo&url=http%3A%2F%2Flocalhost%3A8080%2F&aid=p1";
  req.peer = "127.0.0.1";
  pipe_.serve(ingest_route{"GET", "/v1/p.gif", door::pixel}, std::move(req),
              [&](ingest_response r) { answer = std::move(r); });
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200u);
  EXPECT_EQ(answer->content_type, "image/gif");
  ASSERT_EQ(log_.records(stream::events).size(), 1u);
  EXPECT_EQ(log_.records(stream::events)[0].key, "p1");

  ingest_request bad;
  bad.query = "site=demo&colour=red";
  pipe_.serve(ingest_route{"GET", "/v1/p.gif", door::pixel}, std::move(bad),
              [&](ingest_response r) { answer = std::move(r); });
  EXPECT_EQ(answer->status, 400u);
}

TEST_F(pipeline_test, the_identity_cookie_gives_a_network_id_and_credentialed_cors) {
  config::identity_config identity;
  identity.cookie = true;
  identity.cookie_domains = {"localhost"};
  pipeline with_cookie(config_for_test(), sites(), enrich_, log_, metrics_, {}, {}, identity);
  auto req = post(R"({"type":"page_view"})");
  std::optional<ingest_response> first;
  with_cookie.serve(ingest_route{"POST", "/v1/events", door::events}, req,
                    [&](ingest_response r) { first = std::move(r); });
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 204u);
  EXPECT_EQ(header(*first, "Access-Control-Allow-Credentials"), "true");
  const std::string cookie = header(*first, "Set-Cookie");
  ASSERT_TRUE(cookie.starts_with("ct_nid=")) << cookie;
  EXPECT_NE(cookie.find("; Domain=localhost; Secure; HttpOnly; SameSite=Lax"), std::string::npos) << cookie;
  const std::string id = cookie.substr(7, 36);

  req.cookie = "ct_nid=" + id;  // the next page view sends it back
  std::optional<ingest_response> second;
  with_cookie.serve(ingest_route{"POST", "/v1/events", door::events}, req,
                    [&](ingest_response r) { second = std::move(r); });
  ASSERT_TRUE(second);
  EXPECT_TRUE(header(*second, "Set-Cookie").starts_with("ct_nid=" + id + ";")) << "renewed, not replaced";
  const auto records = log_.records(stream::events);
  ASSERT_EQ(records.size(), 2u);
  for (const auto& r : records) EXPECT_EQ(event::decode_stored(r.value)->network_id, id);

  auto preflight = post("");
  EXPECT_EQ(header(with_cookie.preflight(preflight), "Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(header(pipe_.preflight(preflight), "Access-Control-Allow-Credentials"), "")
      << "without the cookie, no credentials";
}

TEST_F(pipeline_test, preflight_allows_listed_origins_only) {
  ingest_request req;
  req.query = "site=demo";
  req.origin = "http://localhost:8080";
  const auto ok = pipe_.preflight(req);
  EXPECT_EQ(ok.status, 204u);
  EXPECT_EQ(header(ok, "Access-Control-Allow-Methods"), "POST, GET, OPTIONS");
  req.origin = "https://evil.example";
  EXPECT_EQ(pipe_.preflight(req).status, 403u);
}

}  // namespace
}  // namespace clicktrail::ingest
