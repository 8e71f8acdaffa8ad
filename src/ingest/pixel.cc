#include "ingest/pixel.h"

#include <fmt/format.h>

#include <array>
#include <charconv>

#include "base/json_string.h"
#include "ingest/form_decode.h"

namespace clicktrail::ingest {
namespace {

struct parameter {
  std::string_view name;   // in the query
  std::string_view field;  // in the event
  bool numeric;
};

constexpr std::array<parameter, 9> parameters{{
    {"type", "type", false},
    {"url", "page_url", false},
    {"ref", "referrer", false},
    {"title", "page_title", false},
    {"aid", "anonymous_id", false},
    {"sid", "session_id", false},
    {"uid", "user_id", false},
    {"eid", "event_id", false},
    {"ts", "client_ts", true},
}};

}  // namespace

std::string_view transparent_gif() {
  static constexpr unsigned char gif[] = {0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80,
                                          0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04,
                                          0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01,
                                          0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b};
  return {reinterpret_cast<const char*>(gif), sizeof gif};
}

std::variant<pixel_query, refusal> parse_pixel_query(std::string_view query) {
  pixel_query out;
  std::string fields;
  bool has_type = false;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const auto value = form_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!value) {
      return refusal{
          400, "invalid_utf8",
          fmt::format("pixel parameter \"{}\" is not valid UTF-8 once decoded", name.substr(0, 64))};
    }
    if (name == "site") {
      out.site = *value;
      continue;
    }
    const parameter* p = nullptr;
    for (const auto& candidate : parameters) {
      if (candidate.name == name) p = &candidate;
    }
    if (!p) {
      return refusal{
          400, "unknown_parameter",
          fmt::format(
              "unknown pixel parameter \"{}\"; use site, type, url, ref, title, aid, sid, uid, eid, ts",
              name.substr(0, 64))};
    }
    if (!fields.empty()) fields.push_back(',');
    base::append_json_string(fields, p->field);
    fields.push_back(':');
    if (p->numeric) {
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
      if (ec != std::errc{} || end != value->data() + value->size()) {
        return refusal{400, "invalid_field",
                       fmt::format("pixel parameter \"{}\" must be an integer (ms)", name)};
      }
      fields += std::to_string(n);
    } else {
      base::append_json_string(fields, *value);
    }
    has_type = has_type || p->field == "type";
  }
  std::string json;
  json.reserve(fields.size() + 32);
  json.push_back('{');
  if (!has_type) {
    json.append(R"("type":"page_view")");
    if (!fields.empty()) json.push_back(',');
  }
  json.append(fields);
  json.push_back('}');
  out.event_json = std::move(json);
  return out;
}

}  // namespace clicktrail::ingest
