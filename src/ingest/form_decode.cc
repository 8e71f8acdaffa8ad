#include "ingest/form_decode.h"

#include "base/text.h"
#include "event/valid_utf8.h"

namespace clicktrail::ingest {

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
    } else if (in.size() > 2 && base::hex_value(in[1]) >= 0 && base::hex_value(in[2]) >= 0) {
      out.push_back(static_cast<char>(base::hex_value(in[1]) * 16 + base::hex_value(in[2])));
      in.remove_prefix(3);
    } else {
      out.push_back('%');  // malformed: kept as it is
      in.remove_prefix(1);
    }
  }
  if (!event::valid_utf8(out)) return std::nullopt;
  return out;
}

}  // namespace clicktrail::ingest
