#include "ingest/stamp.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "base/uuid.h"
#include "event/fields.h"
#include "ingest/form_decode.h"

namespace clicktrail::ingest {
namespace {

void parse_utm(event::event& e) {
  if (!e.page_url) return;
  std::string_view url = *e.page_url;
  const auto q = url.find('?');
  if (q == std::string_view::npos) return;
  url = url.substr(q + 1);
  url = url.substr(0, url.find('#'));
  const std::array<std::pair<std::string_view, event::opt_string event::event::*>, 5> fields{{
      {"utm_source", &event::event::utm_source},
      {"utm_medium", &event::event::utm_medium},
      {"utm_campaign", &event::event::utm_campaign},
      {"utm_term", &event::event::utm_term},
      {"utm_content", &event::event::utm_content},
  }};
  while (!url.empty()) {
    const auto amp = url.find('&');
    const std::string_view pair = url.substr(0, amp);
    url = amp == std::string_view::npos ? std::string_view{} : url.substr(amp + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    for (const auto& [name, member] : fields) {
      if (pair.substr(0, eq) != name || (e.*member).has_value()) continue;
      auto decoded = form_decode(pair.substr(eq + 1));
      if (!decoded || decoded->empty()) continue;
      e.*member = std::move(*decoded);
    }
  }
}

}  // namespace

void stamp(event::event& e, const arrival& a) {
  e.site = a.site;
  e.collector_ts = a.collector_ts;
  // The client says the event happened (sent_ts - client_ts) before its batch left; trust that
  // span, not the client's absolute clock, and keep the result within a believable window.
  std::int64_t age = 0;
  if (e.client_ts && e.sent_ts && *e.sent_ts >= *e.client_ts) age = *e.sent_ts - *e.client_ts;
  e.event_ts = a.collector_ts - std::min(age, max_event_age_ms);
  if (e.event_id.empty()) e.event_id = base::make_uuid_v7(a.collector_ts).to_string();
  if (!a.ip.empty()) e.ip = a.ip;
  if (!a.user_agent.empty()) e.ua = a.user_agent;
  if (!a.network_id.empty() && !e.network_id) e.network_id = a.network_id;
  parse_utm(e);
  event::cut_to_column_limits(e);
}

std::string partition_key(const event::event& e) {
  if (e.anonymous_id && !e.anonymous_id->empty()) return *e.anonymous_id;
  if (e.session_id && !e.session_id->empty()) return *e.session_id;
  // FNV-1a over ip and user agent: stable across collectors and restarts.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](std::string_view s) {
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    h = (h ^ 0xff) * 0x100000001b3ULL;
  };
  mix(e.ip.value_or(""));
  mix(e.ua.value_or(""));
  static constexpr char hex[] = "0123456789abcdef";
  std::string key = "h:";
  for (int shift = 60; shift >= 0; shift -= 4) key.push_back(hex[(h >> shift) & 0xf]);
  return key;
}

}  // namespace clicktrail::ingest
