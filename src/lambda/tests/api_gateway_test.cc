#include "lambda/api_gateway.h"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace clicktrail::lambda {
namespace {

// Shaped like the events API Gateway sends (AWS's "Working with AWS Lambda proxy integrations"
// pages), trimmed to the fields that matter and a few that don't.
constexpr std::string_view http_api_event = R"({
  "version": "2.0", "routeKey": "POST /v1/events", "rawPath": "/prod/v1/events",
  "rawQueryString": "site=blog&x=a%20b", "cookies": ["a=b"],
  "headers": {"content-type": "text/plain;charset=UTF-8", "origin": "https://me.github.io",
              "user-agent": "Mozilla/5.0", "x-forwarded-for": "198.51.100.7", "content-encoding": "gzip"},
  "queryStringParameters": {"site": "blog", "x": "a b"},
  "requestContext": {"accountId": "123456789012", "apiId": "abc", "stage": "prod",
                     "http": {"method": "POST", "path": "/prod/v1/events", "protocol": "HTTP/1.1",
                              "sourceIp": "198.51.100.7", "userAgent": "Mozilla/5.0"},
                     "requestId": "r1", "timeEpoch": 1764000000000},
  "body": "H4sIAAAAAAAAA6tWKqksSFWyUkpKLEpVqgUAcpyzlQ8AAAA=", "isBase64Encoded": true})";

constexpr std::string_view rest_api_event = R"({
  "resource": "/v1/p.gif", "path": "/v1/p.gif", "httpMethod": "GET",
  "headers": {"Origin": "https://me.github.io", "User-Agent": "curl/8", "X-Clicktrail-Site": "blog"},
  "multiValueHeaders": {"Origin": ["https://me.github.io"]},
  "queryStringParameters": {"site": "blog", "url": "https://me.github.io/a b?c=d&e"},
  "multiValueQueryStringParameters": {"site": ["blog"], "url": ["https://me.github.io/a b?c=d&e"], "t": ["1", "2"]},
  "requestContext": {"stage": "prod", "identity": {"sourceIp": "203.0.113.9", "userAgent": "curl/8"}},
  "body": null, "isBase64Encoded": false})";

TEST(api_gateway, an_http_api_event_gives_path_without_stage_raw_query_headers_and_decoded_body) {
  const auto r = decode_proxy_event(http_api_event);
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(r->format, payload_format::v2);
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->path, "/v1/events");
  EXPECT_EQ(r->ingest.query, "site=blog&x=a%20b");
  EXPECT_EQ(r->ingest.peer, "198.51.100.7");
  EXPECT_EQ(r->ingest.content_type, "text/plain;charset=UTF-8");
  EXPECT_EQ(r->ingest.content_encoding, "gzip");
  EXPECT_EQ(r->ingest.origin, "https://me.github.io");
  EXPECT_EQ(r->ingest.forwarded_for, "198.51.100.7");
  EXPECT_EQ(r->ingest.body.substr(0, 2), "\x1f\x8b");  // the gzip bytes, not their base64
}

TEST(api_gateway, a_rest_api_event_has_its_decoded_parameters_encoded_again_and_headers_found_in_any_case) {
  const auto r = decode_proxy_event(rest_api_event);
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(r->format, payload_format::v1);
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->path, "/v1/p.gif");
  EXPECT_EQ(r->ingest.query, "site=blog&url=https%3A%2F%2Fme.github.io%2Fa%20b%3Fc%3Dd%26e&t=1&t=2");
  EXPECT_EQ(r->ingest.peer, "203.0.113.9");
  EXPECT_EQ(r->ingest.site_header, "blog");
  EXPECT_EQ(r->ingest.user_agent, "curl/8");
  EXPECT_TRUE(r->ingest.body.empty());
}

TEST(api_gateway, cookies_come_from_payload_2s_array_or_1s_header_and_set_cookie_goes_back_the_same_way) {
  const auto v2 = decode_proxy_event(
      R"({"version":"2.0","rawPath":"/i","cookies":["sp=9d1f","_sp_id.1=x"],)"
      R"("headers":{"sp-anonymous":"*","authorization":"Basic d2s6"},"requestContext":{"http":{"method":"GET"}}})");
  ASSERT_TRUE(v2) << v2.err().message;
  EXPECT_EQ(v2->ingest.cookie, "sp=9d1f; _sp_id.1=x");
  EXPECT_TRUE(v2->ingest.sp_anonymous);
  EXPECT_EQ(v2->ingest.authorization, "Basic d2s6");
  const auto v1 = decode_proxy_event(R"({"httpMethod":"GET","path":"/i","headers":{"Cookie":"sp=9d1f"}})");
  ASSERT_TRUE(v1) << v1.err().message;
  EXPECT_EQ(v1->ingest.cookie, "sp=9d1f");
  EXPECT_FALSE(v1->ingest.sp_anonymous);

  ingest::ingest_response ok;
  ok.status = 200;
  ok.content_type = "text/plain";
  ok.body = "ok";
  ok.headers = {{"Set-Cookie", "sp=9d1f; Path=/"}, {"Vary", "Origin"}};
  simdjson::dom::parser parser;
  simdjson::dom::element out2 = parser.parse(encode_proxy_response(payload_format::v2, ok));
  EXPECT_EQ(std::string_view(out2["cookies"].at(0)), "sp=9d1f; Path=/");
  EXPECT_TRUE(out2["headers"]["Set-Cookie"].error()) << "payload 2.0 takes cookies only in `cookies`";
  simdjson::dom::element out1 = parser.parse(encode_proxy_response(payload_format::v1, ok));
  EXPECT_EQ(std::string_view(out1["headers"]["Set-Cookie"]), "sp=9d1f; Path=/");
}

TEST(api_gateway, events_that_are_not_from_a_proxy_integration_are_rejected_with_the_reason) {
  for (std::string_view bad : {"", "not json", "[]", R"({"detail-type":"Scheduled Event"})",
                               R"({"version":"2.0","rawPath":"/v1/events"})"}) {
    const auto r = decode_proxy_event(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.err().what, base::outcome::reject);
    EXPECT_NE(r.err().message.find("API Gateway"), std::string::npos) << r.err().message;
  }
  const auto r =
      decode_proxy_event(R"({"httpMethod":"POST","path":"/v1/events","body":"%%%","isBase64Encoded":true})");
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message.find("base64"), std::string::npos);
}

TEST(api_gateway, responses_carry_status_headers_and_text_or_base64_bodies) {
  ingest::ingest_response json;
  json.status = 200;
  json.content_type = "application/json";
  json.body = R"({"accepted":1,"rejected":[]})";
  json.headers = {{"Access-Control-Allow-Origin", "https://me.github.io"}, {"Vary", "Origin"}};
  simdjson::dom::parser parser;
  simdjson::dom::element v2 = parser.parse(encode_proxy_response(payload_format::v2, json));
  EXPECT_EQ(int64_t(v2["statusCode"]), 200);
  EXPECT_EQ(std::string_view(v2["headers"]["Content-Type"]), "application/json");
  EXPECT_EQ(std::string_view(v2["headers"]["Access-Control-Allow-Origin"]), "https://me.github.io");
  EXPECT_EQ(std::string_view(v2["body"]), json.body);
  EXPECT_FALSE(bool(v2["isBase64Encoded"]));

  ingest::ingest_response gif;
  gif.status = 200;
  gif.content_type = "image/gif";
  gif.body = std::string("GIF89a\x01\x00\x01\x00\x80\x00", 12);
  simdjson::dom::element v1 = parser.parse(encode_proxy_response(payload_format::v1, gif));
  EXPECT_TRUE(bool(v1["isBase64Encoded"]));
  EXPECT_EQ(std::string_view(v1["body"]), "R0lGODlhAQABAIAA");
  EXPECT_TRUE(v1["multiValueHeaders"].is_object());

  ingest::ingest_response empty;  // 204: no body, no content type
  simdjson::dom::element e = parser.parse(encode_proxy_response(payload_format::v2, empty));
  EXPECT_EQ(int64_t(e["statusCode"]), 204);
  EXPECT_EQ(std::string_view(e["body"]), "");
}

}  // namespace
}  // namespace clicktrail::lambda
