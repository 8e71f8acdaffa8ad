#pragma once
// The transport-free ingest path, shared by the HTTP collector and the Lambda function:
// request → site and origin checks → body decoding → events → collector fields → event log,
// answering 2xx only once every accepted event is durable, and 503 if that has not happened
// within ingest.produce_timeout (or the transport's earlier deadline).
//
// Lifetime: one per process, created at start-up, outliving the front end that calls it.
// Thread-safety: every method may be called from many threads at once. `respond` is called
// exactly once per request, possibly from the event log's delivery thread, possibly before
// the method returns.

#include <chrono>
#include <vector>

#include "base/metrics.h"
#include "config/config.h"
#include "enrich/collector_enricher.h"
#include "event/decode.h"
#include "ingest/answer_deadlines.h"
#include "ingest/event_log.h"
#include "ingest/exchange.h"
#include "ingest/probe.h"
#include "ingest/sites.h"

namespace clicktrail::ingest {

class pipeline {
 public:
  // `enrich` is shared with the other front end of the process, if any; it outlives the pipeline.
  pipeline(const config::ingest_config& cfg, std::vector<config::site_config> sites,
           const enrich::collector_enricher& enrich, event_log& log, base::registry& metrics);

  // POST /v1/events
  void post_events(ingest_request req, respond_fn respond);
  // GET /v1/p.gif
  void pixel(ingest_request req, respond_fn respond);
  // OPTIONS /v1/events (CORS preflight)
  ingest_response preflight(const ingest_request& req) const;
  // GET /readyz
  bool ready(std::chrono::milliseconds timeout) { return log_.ready(timeout); }

 private:
  enum class answer_kind { json, gif };
  void accept_json(ingest_request& req, std::string_view site_key, answer_kind kind, respond_fn respond);
  void refuse(const ingest_request& req, std::string_view site_key, const struct refusal& r,
              respond_fn& respond);
  void write_bad(std::string_view site_key, std::int64_t collector_ts, std::string_view reason,
                 std::string_view detail, std::optional<std::size_t> index, std::string_view raw);

  base::steady::time_point answer_by(const ingest_request& req) const;

  config::ingest_config cfg_;
  event::limits limits_;
  site_registry sites_;
  const enrich::collector_enricher& enrich_;
  event_log& log_;
  probe probe_;
  answer_deadlines deadlines_;
};

}  // namespace clicktrail::ingest
