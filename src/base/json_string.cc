#include "base/json_string.h"

#include "base/utf8.h"

namespace clicktrail::base {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      if (const std::size_t n =
              utf8_length(reinterpret_cast<const unsigned char*>(text.data()) + i, text.size() - i);
          n > 0) {
        out.append(text.substr(i, n));
        i += n - 1;
      } else {
        out += "\xef\xbf\xbd";  // U+FFFD, the replacement character
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out.push_back(hex[(c >> 4) & 0xf]);
          out.push_back(hex[c & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

std::string json_error_body(std::string_view code, std::string_view message) {
  std::string body = "{\"error\":";
  append_json_string(body, code);
  body += ",\"message\":";
  append_json_string(body, message);
  body += '}';
  return body;
}

}  // namespace clicktrail::base
