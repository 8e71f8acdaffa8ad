#include "ingest/responses.h"

#include <fmt/format.h>

#include "base/json_string.h"
#include "ingest/refusal.h"

namespace clicktrail::ingest {

ingest_response error_response(unsigned status, std::string_view code, std::string_view message) {
  ingest_response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = base::json_error_body(code, message);
  return r;
}

ingest_response no_route(std::string_view method, std::string_view path, bool path_has_other_methods) {
  if (path_has_other_methods) {
    return error_response(405, "method_not_allowed", fmt::format("{} does not accept {}", path, method));
  }
  return error_response(404, "not_found", fmt::format("no route for {}", path));
}

refusal origin_not_allowed(std::string_view origin, std::string_view site) {
  return {403, "origin_not_allowed",
          fmt::format("origin \"{}\" may not send events for site \"{}\"; add it to that site's origins",
                      origin.substr(0, 256), site)};
}

ingest_response rate_limited(std::chrono::milliseconds wait, std::string_view whose,
                             std::string_view setting) {
  const auto seconds = std::max<std::int64_t>(1, (wait.count() + 999) / 1000);
  ingest_response r = error_response(
      429, "rate_limited",
      fmt::format("{} sent more requests than its limit ({}); retry after {} s", whose, setting, seconds));
  r.headers.emplace_back("Retry-After", std::to_string(seconds));
  return r;
}

}  // namespace clicktrail::ingest
