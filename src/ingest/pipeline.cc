#include "ingest/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "base/clock.h"
#include "base/json_string.h"
#include "base/log.h"
#include "event/encode.h"
#include "ingest/bad_record.h"
#include "ingest/body.h"
#include "ingest/client_ip.h"
#include "ingest/form_decode.h"
#include "ingest/pending_answer.h"
#include "ingest/pixel.h"
#include "ingest/refusal.h"
#include "ingest/stamp.h"

namespace clicktrail::ingest {
namespace {

// The site key a request names outside its body: ?site= first, then X-Clicktrail-Site.
std::string site_outside_body(const ingest_request& req) {
  std::string_view query = req.query;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.starts_with("site=")) return form_decode(pair.substr(5)).value_or("");
  }
  return req.site_header;
}

ingest_response accepted_answer(std::size_t accepted, const std::vector<event::rejection>& rejected) {
  ingest_response r;
  if (rejected.empty()) {
    r.status = 204;
    return r;
  }
  r.status = 200;
  r.content_type = "application/json";
  r.body = fmt::format("{{\"accepted\":{},\"rejected\":[", accepted);
  for (std::size_t i = 0; i < rejected.size(); ++i) {
    if (i > 0) r.body.push_back(',');
    r.body += fmt::format("{{\"index\":{},\"reason\":\"{}\",\"detail\":", rejected[i].index,
                          event::to_string(rejected[i].what.why));
    base::append_json_string(r.body, rejected[i].what.detail);
    r.body.push_back('}');
  }
  r.body += "]}";
  return r;
}

ingest_response gif_answer() {
  ingest_response r;
  r.status = 200;
  r.content_type = "image/gif";
  r.body = std::string(transparent_gif());
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

pipeline::pipeline(const config::ingest_config& cfg, std::vector<config::site_config> sites,
                   const enrich::collector_enricher& enrich, event_log& log, base::registry& metrics)
    : cfg_(cfg), sites_(std::move(sites)), enrich_(enrich), log_(log), probe_(metrics) {
  limits_.max_events = static_cast<std::size_t>(cfg.max_events);
  limits_.max_event_bytes = static_cast<std::size_t>(cfg.max_event_bytes);
}

ingest_response pipeline::preflight(const ingest_request& req) const {
  return sites_.preflight(site_outside_body(req), req.origin);
}

void pipeline::post_events(ingest_request req, respond_fn respond) {
  const std::string site_key = site_outside_body(req);
  if (auto r = check_content_type(req.content_type)) return refuse(req, site_key, *r, respond);
  if (auto r = decode_content(req.body, req.content_encoding, static_cast<std::size_t>(cfg_.max_body))) {
    return refuse(req, site_key, *r, respond);
  }
  accept_json(req, site_key, answer_kind::json, std::move(respond));
}

void pipeline::pixel(ingest_request req, respond_fn respond) {
  auto parsed = parse_pixel_query(req.query);
  if (const auto* r = std::get_if<refusal>(&parsed)) return refuse(req, "", *r, respond);
  auto& q = std::get<pixel_query>(parsed);
  req.body = std::move(q.event_json);
  accept_json(req, q.site, answer_kind::gif, std::move(respond));
}

void pipeline::accept_json(ingest_request& req, std::string_view site_key, answer_kind kind,
                           respond_fn respond) {
  event::batch batch = event::decode_batch(req.body, limits_);
  if (batch.refused) {
    const unsigned status = batch.refused->why == event::reason::too_many_events ? 413 : 400;
    return refuse(req, site_key, refusal{status, event::to_string(batch.refused->why), batch.refused->detail},
                  respond);
  }
  const std::string site = !site_key.empty() ? std::string(site_key) : batch.site.value_or("");
  if (site.empty()) {
    return refuse(
        req, site,
        refusal{401, "missing_site",
                "no site key: add ?site=KEY, the X-Clicktrail-Site header, or \"site\" in the body"},
        respond);
  }
  const config::site_config* known = sites_.find(site);
  if (!known) {
    return refuse(
        req, site,
        refusal{401, "unknown_site",
                fmt::format("site key \"{}\" is not configured on this collector", site.substr(0, 64))},
        respond);
  }
  if (!site_registry::origin_allowed(*known, req.origin)) {
    return refuse(req, site,
                  refusal{403, "origin_not_allowed",
                          fmt::format("origin \"{}\" may not send events for site \"{}\"; add it to that "
                                      "site's origins",
                                      req.origin.substr(0, 256), site)},
                  respond);
  }

  const client_address address =
      client_ip(req.peer, req.forwarded_for, cfg_.trusted_proxies, cfg_.anonymize_ip);
  const arrival from{site, base::now_unix_ms(), address.stored, req.user_agent};
  for (const auto& r : batch.rejected) {
    probe_.rejected.inc({event::to_string(r.what.why)});
    write_bad(site, from.collector_ts, event::to_string(r.what.why), r.what.detail, r.index, r.raw);
  }
  ingest_response success =
      kind == answer_kind::gif ? gif_answer() : accepted_answer(batch.events.size(), batch.rejected);
  if (!req.origin.empty()) site_registry::add_cors_headers(req.origin, success.headers);
  if (batch.events.empty()) return respond(std::move(success));

  probe_.accepted.inc({site}, batch.events.size());
  // Not make_shared: the deadline's weak reference would keep the whole answer's memory alive
  // until the deadline, not just the control block.
  std::shared_ptr<pending_answer> pending(
      new pending_answer(batch.events.size(), std::move(success), std::move(respond), probe_));
  deadlines_.watch(answer_by(req), pending);
  // The full address is used here, once per request, and goes no further.
  const auto facts = enrich_.facts(*known, address.full, req.user_agent, from.collector_ts);
  std::string value;
  for (auto& e : batch.events) {
    // Enrichment first: private parameters leave the URLs before stamp() reads utm_* from them,
    // and stamp() then cuts every field, the looked-up ones too, to its column limit.
    enrich_.apply(e, *known, facts);
    stamp(e, from);
    value.clear();
    event::encode(e, value);
    log_.append(stream::events, partition_key(e), value,
                [pending](base::status s) { pending->delivered(s); });
  }
}

base::steady::time_point pipeline::answer_by(const ingest_request& req) const {
  const auto ours = base::steady::now() + cfg_.produce_timeout;
  return req.answer_by == base::steady::time_point{} ? ours : std::min(ours, req.answer_by);
}

void pipeline::refuse(const ingest_request& req, std::string_view site_key, const refusal& r,
                      respond_fn& respond) {
  probe_.refused.inc({r.code});
  // Only a configured site's key goes into the record: anything else is untrusted text.
  const std::string_view site = sites_.find(site_key) ? site_key : std::string_view{};
  write_bad(site, base::now_unix_ms(), r.code, r.message, std::nullopt, req.body);
  ingest_response answer = r.to_response();
  if (!req.origin.empty() && sites_.any_site_allows(req.origin))
    site_registry::add_cors_headers(req.origin, answer.headers);
  respond(std::move(answer));
}

void pipeline::write_bad(std::string_view site_key, std::int64_t collector_ts, std::string_view reason,
                         std::string_view detail, std::optional<std::size_t> index, std::string_view raw) {
  // What the collector would have removed from an event is blanked in input it could not read.
  const std::string scrubbed = enrich_.scrub_raw(sites_.find(site_key), raw);
  const std::string record = encode_bad_record({reason, detail, site_key, collector_ts, index, scrubbed});
  // Rejected input is answered at once; its bad-topic record is written in the background and,
  // if that fails, counted and logged rather than holding the client.
  log_.append(stream::bad, site_key, record, [this, reason = std::string(reason)](base::status s) {
    if (s) return;
    probe_.bad_records_lost.inc();
    base::logger_for("ingest").warn("bad record not written reason={} error=\"{}\"", reason, s.err().message);
  });
}

}  // namespace clicktrail::ingest
