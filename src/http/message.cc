#include "http/message.h"

#include "base/json_string.h"

namespace clicktrail::http {

std::string_view request::header(std::string_view lower_name) const noexcept {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

response response::json_error(unsigned status, std::string_view code, std::string_view message) {
  response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = base::json_error_body(code, message);
  return r;
}

}  // namespace clicktrail::http
