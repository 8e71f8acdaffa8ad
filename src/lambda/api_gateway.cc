#include "lambda/api_gateway.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <utility>
#include <vector>

#include "base/base64.h"
#include "base/json_string.h"
#include "base/text.h"
#include "event/json_parser.h"

namespace clicktrail::lambda {
namespace {

namespace dom = simdjson::dom;

// API Gateway's events nest five deep; anything much deeper did not come from it.
constexpr std::size_t max_event_depth = 32;

std::string_view string_at(dom::element e, std::string_view pointer) {
  std::string_view out;
  if (e.at_pointer(pointer).get(out) != simdjson::SUCCESS) return {};
  return out;
}

// The first header named `lower_name`, whatever the case of its name in `headers`.
std::string header(dom::element event, std::string_view lower_name) {
  dom::object headers;
  if (event["headers"].get(headers) != simdjson::SUCCESS) return {};
  for (const auto field : headers) {
    std::string_view value;
    if (base::iequals(field.key, lower_name) && field.value.get(value) == simdjson::SUCCESS)
      return std::string(value);
  }
  return {};
}

// Payload 1.0 gives decoded parameters; rebuild a query string from them, in their order.
std::string query_from_parameters(dom::element event) {
  std::string query;
  auto add = [&](std::string_view name, std::string_view value) {
    if (!query.empty()) query.push_back('&');
    query += base::uri_encode(name, false);
    query.push_back('=');
    query += base::uri_encode(value, false);
  };
  dom::object params;
  if (event["multiValueQueryStringParameters"].get(params) == simdjson::SUCCESS) {
    for (const auto field : params) {
      dom::array values;
      if (field.value.get(values) != simdjson::SUCCESS) continue;
      for (const auto v : values) {
        std::string_view value;
        if (v.get(value) == simdjson::SUCCESS) add(field.key, value);
      }
    }
    return query;
  }
  if (event["queryStringParameters"].get(params) == simdjson::SUCCESS) {
    for (const auto field : params) {
      std::string_view value;
      if (field.value.get(value) == simdjson::SUCCESS) add(field.key, value);
    }
  }
  return query;
}

// An HTTP API stage other than $default appears at the start of rawPath ("/prod/v1/events").
std::string without_stage(std::string_view path, std::string_view stage) {
  if (!stage.empty() && stage != "$default" && path.size() > stage.size() + 1 && path[0] == '/' &&
      path.substr(1, stage.size()) == stage && path[stage.size() + 1] == '/') {
    path.remove_prefix(stage.size() + 1);
  }
  return std::string(path);
}

bool is_text(std::string_view content_type) {
  return content_type.empty() || content_type.starts_with("text/") ||
         content_type.starts_with("application/json");
}

}  // namespace

base::result<proxy_request> decode_proxy_event(std::string_view event_json) {
  // One parser for the process: the runtime handles one invocation at a time.
  static event::json_parser parser;
  dom::element event;
  if (const auto error = parser.parse(event_json, max_event_depth, event); error != simdjson::SUCCESS) {
    return base::error::reject(
        fmt::format("the invocation's event is not JSON ({}); clicktrail lambda expects "
                    "API Gateway proxy events",
                    simdjson::error_message(error)));
  }
  proxy_request out;
  const bool v2 = string_at(event, "/version") == "2.0";
  out.format = v2 ? payload_format::v2 : payload_format::v1;
  if (v2) {
    out.method = string_at(event, "/requestContext/http/method");
    out.path = without_stage(string_at(event, "/rawPath"), string_at(event, "/requestContext/stage"));
    out.ingest.query = string_at(event, "/rawQueryString");
    out.ingest.peer = string_at(event, "/requestContext/http/sourceIp");
  } else {
    out.method = string_at(event, "/httpMethod");
    out.path = string_at(event, "/path");
    out.ingest.query = query_from_parameters(event);
    out.ingest.peer = string_at(event, "/requestContext/identity/sourceIp");
  }
  if (out.method.empty() || out.path.empty()) {
    return base::error::reject(
        "the invocation's event has no HTTP method or path: clicktrail lambda answers API Gateway proxy "
        "events "
        "(HTTP API payload 2.0, or REST API / payload 1.0); invoke it through API Gateway");
  }

  std::string_view body = string_at(event, "/body");
  bool base64 = false;
  if (event["isBase64Encoded"].get(base64) != simdjson::SUCCESS) base64 = false;  // absent or null
  if (base64) {
    auto bytes = base::decode_base64(body);
    if (!bytes) return base::error::reject("the event says isBase64Encoded but its body is not base64");
    out.ingest.body = std::move(*bytes);
  } else {
    out.ingest.body = std::string(body);
  }
  out.ingest.content_type = header(event, "content-type");
  out.ingest.content_encoding = header(event, "content-encoding");
  out.ingest.origin = header(event, "origin");
  out.ingest.site_header = header(event, "x-clicktrail-site");
  out.ingest.user_agent = header(event, "user-agent");
  out.ingest.forwarded_for = header(event, "x-forwarded-for");
  out.ingest.authorization = header(event, "authorization");
  out.ingest.sp_anonymous = !header(event, "sp-anonymous").empty();
  const std::string retries = header(event, "x-retry-count");
  out.ingest.retry = !retries.empty() && retries != "0";
  // Payload 2.0 moves the Cookie header into `cookies`, one string a cookie.
  dom::array cookies;
  if (v2 && event["cookies"].get(cookies) == simdjson::SUCCESS) {
    for (const auto c : cookies) {
      std::string_view text;
      if (c.get(text) != simdjson::SUCCESS) continue;
      if (!out.ingest.cookie.empty()) out.ingest.cookie += "; ";
      out.ingest.cookie += text;
    }
  } else {
    out.ingest.cookie = header(event, "cookie");
  }
  return out;
}

std::string encode_proxy_response(payload_format format, const ingest::ingest_response& r) {
  std::string out = fmt::format("{{\"statusCode\":{},\"headers\":{{", r.status);
  bool first = true;
  auto add_header = [&](std::string_view name, std::string_view value) {
    if (!first) out.push_back(',');
    first = false;
    base::append_json_string(out, name);
    out.push_back(':');
    base::append_json_string(out, value);
  };
  if (!r.content_type.empty()) add_header("Content-Type", r.content_type);
  // Payload 2.0 takes Set-Cookie in `cookies` (its headers hold one value a name).
  std::vector<std::string_view> cookies;
  for (const auto& [name, value] : r.headers) {
    if (format == payload_format::v2 && base::iequals(name, "Set-Cookie")) {
      cookies.push_back(value);
    } else {
      add_header(name, value);
    }
  }
  out += "}";
  if (!cookies.empty()) {
    out += ",\"cookies\":[";
    for (std::size_t i = 0; i < cookies.size(); ++i) {
      if (i > 0) out.push_back(',');
      base::append_json_string(out, cookies[i]);
    }
    out.push_back(']');
  }
  out += ",\"body\":";
  const bool text = is_text(r.content_type);
  if (text) {
    base::append_json_string(out, r.body);
  } else {
    out.push_back('"');
    base::append_base64(out, r.body);
    out.push_back('"');
  }
  out += text ? ",\"isBase64Encoded\":false" : ",\"isBase64Encoded\":true";
  // Payload 1.0 merges multiValueHeaders with headers; an empty object keeps REST APIs content.
  if (format == payload_format::v1) out += ",\"multiValueHeaders\":{}";
  out.push_back('}');
  return out;
}

}  // namespace clicktrail::lambda
