#include "ingest/bad_record.h"

#include <fmt/format.h>

#include "base/json_string.h"

namespace clicktrail::ingest {
namespace {

void append_base64(std::string& out, std::string_view in) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16 |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8 |
                   static_cast<unsigned char>(in[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(alphabet[(n >> shift) & 0x3f]);
  }
  if (const std::size_t rest = in.size() - i; rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out.push_back(alphabet[(n >> 18) & 0x3f]);
    out.push_back(alphabet[(n >> 12) & 0x3f]);
    out.push_back(rest == 2 ? alphabet[(n >> 6) & 0x3f] : '=');
    out.push_back('=');
  }
}

}  // namespace

std::string encode_bad_record(const bad_input& in) {
  std::string out = "{\"reason\":";
  base::append_json_string(out, in.reason);
  out += ",\"detail\":";
  base::append_json_string(out, in.detail);
  out += ",\"site\":";
  base::append_json_string(out, in.site);
  out += fmt::format(",\"collector_ts\":{}", in.collector_ts);
  if (in.index) out += fmt::format(",\"index\":{}", *in.index);
  out += ",\"raw_base64\":\"";
  append_base64(out, in.raw.substr(0, max_raw_bytes));
  out += "\"}";
  return out;
}

}  // namespace clicktrail::ingest
