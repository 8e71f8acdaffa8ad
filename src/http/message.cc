#include "http/message.h"

#include <fmt/format.h>

namespace clicktrail::http {

std::string_view request::header(std::string_view lower_name) const noexcept {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

void append_json_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out.push_back(c);
        }
    }
  }
}

response response::json_error(unsigned status, std::string_view code, std::string_view message) {
  response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = "{\"error\":\"";
  append_json_escaped(r.body, code);
  r.body += "\",\"message\":\"";
  append_json_escaped(r.body, message);
  r.body += "\"}";
  return r;
}

}  // namespace clicktrail::http
