#pragma once
// The transport-free ingest path, shared by the HTTP collector and the Lambda function:
// request → site and origin checks → body decoding → events → collector fields → event log,
// answering 2xx only once every accepted event is durable, and 503 if that has not happened
// within ingest.produce_timeout (or the transport's earlier deadline). Three protocols come in
// through their own doors: clicktrail's (this file's .cc), Snowplow's tracker protocol
// (snowplow_door.cc) and Segment's HTTP Tracking API (segment_door.cc); all meet in admit().
//
// Lifetime: one per process, created at start-up, outliving the front end that calls it.
// Thread-safety: every method may be called from many threads at once. `respond` is called
// exactly once per request, possibly from the event log's delivery thread, possibly before
// the method returns.

#include <chrono>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/metrics.h"
#include "config/config.h"
#include "enrich/collector_enricher.h"
#include "event/decode.h"
#include "event/foreign_batch.h"
#include "event/segment_decode.h"
#include "ingest/answer_deadlines.h"
#include "ingest/event_log.h"
#include "ingest/exchange.h"
#include "ingest/network_cookie.h"
#include "ingest/probe.h"
#include "ingest/rate_limits.h"
#include "ingest/routes.h"
#include "ingest/sites.h"

namespace clicktrail::ingest {

class pending_answer;

class pipeline {
 public:
  // `enrich` is shared with the other front end of the process, if any; it outlives the pipeline.
  pipeline(const config::ingest_config& cfg, std::vector<config::site_config> sites,
           const enrich::collector_enricher& enrich, event_log& log, base::registry& metrics,
           const config::snowplow_config& snowplow = {}, const config::segment_config& segment = {},
           const config::identity_config& identity = {});

  // The door of `route` (ingest/routes.h): the only way in, which works out the request's client
  // address once for every door.
  void serve(const ingest_route& route, ingest_request req, respond_fn respond);
  // OPTIONS (CORS preflight) on a path of `of`
  ingest_response preflight(const ingest_request& req, protocol of = protocol::native) const;
  // GET /readyz
  bool ready(std::chrono::milliseconds timeout) { return log_.ready(timeout); }

 private:
  // POST /v1/events
  void post_events(ingest_request req, respond_fn respond);
  // GET /v1/p.gif
  void pixel(ingest_request req, respond_fn respond);
  // POST tp2 (`pixel` false) or GET /i (true)
  void snowplow(ingest_request req, bool pixel, respond_fn respond);
  // POST <prefix>/<call>
  void segment(ingest_request req, event::segment_call call, respond_fn respond);

  // What a door decided about a request whose site is known, for admit().
  struct admission {
    const config::site_config& site;
    ingest_response success;  // the answer once durable
    // Compat doors answer 2xx for rejected input too, so their 2xx waits for its bad records.
    bool wait_for_bad_records = false;
    bool anonymous = false;  // SP-Anonymous: no address, no geo, no derived ids
    std::string network_id;  // the collector's cookie id, for every event without one
    const std::vector<event::foreign_hints>* hints = nullptr;  // per event, or none
  };
  // Stamps, enriches and logs the batch's events, writes its rejected ones to the bad stream,
  // and answers.
  void admit(ingest_request& req, event::batch& batch, admission a, respond_fn respond);

  enum class answer_kind { json, gif };
  void accept_json(ingest_request& req, std::string_view site_key, answer_kind kind, respond_fn respond);
  // Answers `r` at once (Segment's answers carry "success": false) and writes its bad record.
  // The network id of a request to a native door, from clicktrail's own cookie (or a new one),
  // and its Set-Cookie on `success`; empty when the cookie is off.
  std::string identity_of(const ingest_request& req, ingest_response& success) const;
  void refuse(const ingest_request& req, std::string_view site_key, const struct refusal& r,
              respond_fn& respond, protocol of = protocol::native);
  // A compat door's refusal answered 2xx: `answer` once the bad record is durable, else 503.
  void refuse_durably(const ingest_request& req, std::string_view site_key, const struct refusal& r,
                      std::string_view raw, ingest_response answer, respond_fn respond);
  // `waiting`: the answer counts this record among those it waits for.
  // `req`: whose client the per-client limit counts (limited_client).
  void write_bad(const ingest_request& req, std::string_view site_key, std::int64_t collector_ts,
                 std::string_view reason, std::string_view detail, std::optional<std::size_t> index,
                 std::string_view raw, std::shared_ptr<pending_answer> waiting = nullptr);

  // The client's address for the per-client limits: empty (not limited) for a loopback client,
  // which is a proxy on this machine that trusted_proxies does not name, or a local test.
  static std::string_view limited_client(const ingest_request& req);

  // Moves the events whose own source key (app id, write key) names another site than `site`
  // into the rejected, as site_mismatch (one site a request).
  void reject_other_sites(event::foreign_batch& b, const config::site_config& site, protocol of) const;

  base::steady::time_point answer_by(const ingest_request& req) const;

  config::ingest_config cfg_;
  config::snowplow_config snowplow_;
  cookie_settings snowplow_cookie_;
  config::segment_config segment_;
  std::optional<cookie_settings> identity_cookie_;  // clicktrail's own id cookie, when on
  event::limits limits_;
  site_registry sites_;
  const enrich::collector_enricher& enrich_;
  event_log& log_;
  probe probe_;
  // Each site's accepted-events counter, found without the family's lock and map per request.
  std::unordered_map<const config::site_config*, base::counter*> accepted_;
  answer_deadlines deadlines_;
  // The limits on what comes from outside (docs/ingest-api.md, "Limits").
  token_buckets client_requests_;
  token_buckets site_requests_;
  token_buckets client_bad_records_;
  token_buckets site_bad_records_;
};

}  // namespace clicktrail::ingest
