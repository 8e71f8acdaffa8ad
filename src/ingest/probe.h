#pragma once
// Ingest's metrics, declared in one place.

#include "base/metrics.h"

namespace clicktrail::ingest {

struct probe {
  explicit probe(base::registry& r)
      : accepted(r, "clicktrail_ingest_events_accepted_total", "Events made durable, by site.", {"site"}),
        rejected(r, "clicktrail_ingest_events_rejected_total",
                 "Events rejected (sent to the bad topic), by reason.", {"reason"}),
        refused(r, "clicktrail_ingest_requests_refused_total",
                "Requests refused as a whole (4xx), by reason.", {"reason"}),
        retries(r, "clicktrail_ingest_retries_total",
                "Requests a client says are retries (X-Retry-Count above 0), by protocol.", {"protocol"}),
        not_durable(r.add_counter("clicktrail_ingest_requests_not_durable_total",
                                  "Requests answered 503 because their events were not durable in time.")),
        bad_records_lost(r.add_counter("clicktrail_ingest_bad_records_lost_total",
                                       "Bad-topic records that could not be written (each is also logged).")),
        bad_records_dropped(r, "clicktrail_ingest_bad_records_dropped_total",
                            "Bad-topic records not kept, over a client's or a site's limit, by limit.",
                            {"limit"}),
        rate_limited(r, "clicktrail_ingest_requests_rate_limited_total", "Requests answered 429, by limit.",
                     {"limit"}) {}

  base::counter_family accepted;
  base::counter_family rejected;
  base::counter_family refused;
  base::counter_family retries;
  base::counter& not_durable;
  base::counter& bad_records_lost;
  base::counter_family bad_records_dropped;
  base::counter_family rate_limited;
};

}  // namespace clicktrail::ingest
