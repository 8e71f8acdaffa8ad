#include "ingest/form_decode.h"

#include <simdjson.h>

#include "base/text.h"
#include "base/utf8.h"

namespace clicktrail::ingest {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> form_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  // Text between escapes is copied a run at a time: most values (utm_source=newsletter) have
  // no escape at all.
  while (!in.empty()) {
    const std::size_t special = base::first_where(in, 0, [](char c) { return c == '%' || c == '+'; });
    out.append(in.substr(0, special));
    if (special == in.size()) break;
    in.remove_prefix(special);
    if (in[0] == '+') {
      out.push_back(' ');
      in.remove_prefix(1);
    } else if (in.size() > 2 && hex_digit(in[1]) >= 0 && hex_digit(in[2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit(in[1]) * 16 + hex_digit(in[2])));
      in.remove_prefix(3);
    } else {
      out.push_back('%');  // malformed: kept as it is
      in.remove_prefix(1);
    }
  }
  if (!base::is_ascii(out) && !simdjson::validate_utf8(out.data(), out.size())) return std::nullopt;
  return out;
}

}  // namespace clicktrail::ingest
