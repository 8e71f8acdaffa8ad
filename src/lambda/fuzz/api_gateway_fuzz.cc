// libFuzzer target: API Gateway proxy events as the function receives them. Whatever the input,
// nothing crashes; an event that decodes gives a method and a path; and the proxy result built
// from its body (as text, then as binary) is always JSON that simdjson reads back to the same
// status and body.

#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/base64.h"
#include "lambda/api_gateway.h"

namespace {

using namespace clicktrail;

[[noreturn]] void broken(const char* promise) {
  std::fprintf(stderr, "broken promise: %s\n", promise);
  std::abort();
}

void round_trip(lambda::payload_format format, const std::string& body, std::string content_type) {
  ingest::ingest_response r;
  r.status = 200;
  r.body = body;
  r.content_type = std::move(content_type);
  r.headers.emplace_back("Access-Control-Allow-Origin", body.substr(0, 16));  // any bytes: still JSON
  const std::string json = lambda::encode_proxy_response(format, r);
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(json).get(e) != simdjson::SUCCESS) broken("a proxy result is valid JSON");
  std::int64_t status = 0;
  std::string_view out;
  bool base64 = false;
  if (e["statusCode"].get(status) || e["body"].get(out) || e["isBase64Encoded"].get(base64)) {
    broken("a proxy result has statusCode, body and isBase64Encoded");
  }
  const auto decoded = base64 ? base::decode_base64(out) : std::optional<std::string>(std::string(out));
  if (status != 200 || !decoded || *decoded != body) broken("a proxy result carries the body unchanged");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = lambda::decode_proxy_event(input);
  if (!decoded) return 0;
  if (decoded->method.empty() || decoded->path.empty()) broken("a decoded event has a method and a path");
  // Text bodies must be valid UTF-8 to be JSON strings; binary ones go base64.
  if (simdjson::validate_utf8(decoded->ingest.body.data(), decoded->ingest.body.size())) {
    round_trip(decoded->format, decoded->ingest.body, "application/json");
  }
  round_trip(decoded->format, decoded->ingest.body, "image/gif");
  return 0;
}
