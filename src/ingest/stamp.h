#pragma once
// The fields the collector fills in on every accepted event: where and when it arrived, who
// sent it, and what its page URL says about the campaign (utm_*).

#include <cstdint>
#include <string>

#include "event/event.h"

namespace clicktrail::ingest {

struct arrival {
  std::string site;
  std::int64_t collector_ts = 0;  // ms
  std::string ip;                 // already anonymised as configured; empty when unknown
  std::string user_agent;
  std::string network_id;  // the collector's cookie id; empty: none
};

// How far back a client clock's account of an event is believed (events queued offline are
// sent late, but not this late).
inline constexpr std::int64_t max_event_age_ms = 7LL * 24 * 3600 * 1000;

// Fills site, collector_ts, event_ts (corrected for the client's clock skew), event_id when
// absent, ip, ua, network_id (unless the event has one) and utm_* (from page_url's query,
// unless already set).
void stamp(event::event& e, const arrival& a);

// The Kafka key: anonymous_id, else session_id, else a hash of ip and user agent, so that one
// visitor's events stay in order on one partition.
std::string partition_key(const event::event& e);

}  // namespace clicktrail::ingest
