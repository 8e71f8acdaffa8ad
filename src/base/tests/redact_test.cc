// Secrets out of logs and error messages, in each form an answer or a request carries them.

#include "base/redact.h"

#include <gtest/gtest.h>

namespace clicktrail::base {
namespace {

TEST(redact, json_members_named_like_secrets) {
  EXPECT_EQ(
      redact_secrets(
          R"({"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"wJalr/K7MDENG+bPxRfi","Token":"IQoJb3JpZ2luX2Vj\"x","Expiration":"2026-01-01T00:00:00Z"})"),
      R"({"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"[redacted]","Token":"[redacted]","Expiration":"2026-01-01T00:00:00Z"})");
  EXPECT_EQ(redact_secrets(R"({ "secret_access_key" :  "abc" , "password":"p w"})"),
            R"({ "secret_access_key" :  "[redacted]" , "password":"[redacted]"})");
}

TEST(redact, xml_elements_queries_and_headers) {
  EXPECT_EQ(
      redact_secrets("<Error><Code>SignatureDoesNotMatch</Code><SignatureProvided>a1b2c3</SignatureProvided>"
                     "<AWSAccessKeyId>AKIA1</AWSAccessKeyId></Error>"),
      "<Error><Code>SignatureDoesNotMatch</Code><SignatureProvided>[redacted]</SignatureProvided>"
      "<AWSAccessKeyId>AKIA1</AWSAccessKeyId></Error>");
  EXPECT_EQ(
      redact_secrets(
          "GET /b/k?X-Amz-Credential=AKIA1%2F20260101&X-Amz-Signature=f00d&X-Amz-Security-Token=tok en"),
      "GET /b/k?X-Amz-Credential=AKIA1%2F20260101&X-Amz-Signature=[redacted]&X-Amz-Security-Token=[redacted] "
      "en");
  EXPECT_EQ(
      redact_secrets("Host: s3\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIA1/x, Signature=abc\r\nX: y"),
      "Host: s3\r\nAuthorization: [redacted]\r\nX: y");
  EXPECT_EQ(redact_secrets("sasl.password=hunter2 sasl.username=u"),
            "sasl.password=[redacted] sasl.username=u");
}

TEST(redact, ordinary_text_is_left_alone) {
  for (const char* text :
       {"the signature does not match; check the secret key", "tokens=3", "a SessionTokenExpired error",
        "kafka.producer property \"acks\" is \"1\"", "no AccessKeyId or SecretAccessKey in the answer", ""}) {
    EXPECT_EQ(redact_secrets(text), text);
  }
  EXPECT_FALSE(may_hold_secrets("GET /v1/events 204 in 3 ms"));
  EXPECT_TRUE(may_hold_secrets(R"({"Token":"x"})"));
}

}  // namespace
}  // namespace clicktrail::base
