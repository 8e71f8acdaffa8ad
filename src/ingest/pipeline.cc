#include "ingest/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "base/clock.h"
#include "base/json_string.h"
#include "base/log.h"
#include "base/uuid.h"
#include "event/binary_record.h"
#include "event/encode.h"
#include "event/json_parser.h"
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

// A request's records, encoded into one buffer that each request thread reuses: no allocation
// per event once it has grown to a batch's size.
class encoded_records {
 public:
  static encoded_records& for_this_thread() {
    thread_local encoded_records scratch;
    return scratch;
  }
  void clear() {
    bytes_.clear();
    bounds_.clear();
    refs_.clear();
  }
  void add(std::string_view key, const event::event& e, config::record_format form) {
    const std::size_t key_at = bytes_.size();
    bytes_ += key;
    const std::size_t value_at = bytes_.size();
    if (form == config::record_format::binary) {
      event::encode_binary(e, bytes_);
    } else {
      event::encode(e, bytes_);
    }
    bounds_.push_back({key_at, value_at, bytes_.size(), e.collector_ts});
  }
  // Views into the buffer: valid until the next clear() or add().
  std::span<const record_ref> records() {
    const std::string_view all(bytes_);
    for (const auto& b : bounds_) {
      refs_.push_back(
          {all.substr(b.key, b.value - b.key), all.substr(b.value, b.end - b.value), b.collector_ts});
    }
    return refs_;
  }

 private:
  struct bounds {
    std::size_t key, value, end;
    std::int64_t collector_ts;  // the record's Kafka timestamp
  };
  std::string bytes_;
  std::vector<bounds> bounds_;
  std::vector<record_ref> refs_;
};

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
                   const enrich::collector_enricher& enrich, event_log& log, base::registry& metrics,
                   const config::snowplow_config& snowplow, const config::segment_config& segment,
                   const config::identity_config& identity)
    : cfg_(cfg),
      snowplow_(snowplow),
      snowplow_cookie_{snowplow.cookie_name, snowplow.cookie_lifetime, snowplow.cookie_domains,
                       snowplow.cookie_fallback_domain},
      segment_(segment),
      sites_(std::move(sites)),
      enrich_(enrich),
      log_(log),
      probe_(metrics),
      client_requests_(cfg.client_requests_per_s, cfg.client_burst),
      site_requests_(cfg.site_requests_per_s, cfg.site_burst),
      client_bad_records_(cfg.client_bad_records_per_s, 50 * cfg.client_bad_records_per_s),
      site_bad_records_(cfg.site_bad_records_per_s, 50 * cfg.site_bad_records_per_s) {
  for (const config::site_config& site : sites_.all())
    accepted_.emplace(&site, &probe_.accepted.at({site.key}));
  limits_.max_events = static_cast<std::size_t>(cfg.max_events);
  limits_.max_event_bytes = static_cast<std::size_t>(cfg.max_event_bytes);
  if (identity.cookie) {
    identity_cookie_ = cookie_settings{identity.cookie_name, identity.cookie_lifetime,
                                       identity.cookie_domains, "", identity.same_site};
  }
}

std::string pipeline::identity_of(const ingest_request& req, ingest_response& success) const {
  if (!identity_cookie_) return {};
  const auto sent = cookie_value(req.cookie, identity_cookie_->name);
  const auto id = sent ? base::parse_uuid(*sent) : std::nullopt;
  std::string network_id = (id ? *id : base::make_uuid_v4()).to_string();
  success.headers.emplace_back(
      "Set-Cookie", set_cookie(*identity_cookie_, network_id, req.origin, base::now_unix_ms() / 1000));
  return network_id;
}

std::string_view pipeline::limited_client(const ingest_request& req) {
  const std::string_view address = req.client.full;
  if (address.starts_with("127.") || address == "::1") return {};
  return address;
}

void pipeline::serve(const ingest_route& route, ingest_request req, respond_fn respond) {
  req.client = client_ip(req.peer, req.forwarded_for, cfg_.trusted_proxies, cfg_.anonymize_ip);
  if (route.door != door::preflight) {
    if (const std::string_view client = limited_client(req); !client.empty()) {
      if (const auto wait = client_requests_.take(client)) {
        probe_.rate_limited.inc({"client"});
        return respond(rate_limited(*wait, "this client address", "ingest.client_requests_per_s"));
      }
    }
  }
  switch (route.door) {
    case door::events:
      return post_events(std::move(req), std::move(respond));
    case door::pixel:
      return pixel(std::move(req), std::move(respond));
    case door::snowplow_post:
      return snowplow(std::move(req), false, std::move(respond));
    case door::snowplow_pixel:
      return snowplow(std::move(req), true, std::move(respond));
    case door::segment:
      return segment(std::move(req), route.call, std::move(respond));
    case door::preflight:
      return respond(preflight(req, route.of));
  }
}

ingest_response pipeline::preflight(const ingest_request& req, protocol of) const {
  if (of != protocol::native) return sites_.compat_preflight(of, req.origin);
  ingest_response r = sites_.preflight(site_outside_body(req), req.origin);
  if (identity_cookie_ && r.status == 204) r.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  return r;
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
  event::batch batch = event::decode_padded_batch(event::padded(req.body), limits_);
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
    return refuse(req, site, origin_not_allowed(req.origin, site), respond);
  }

  ingest_response success =
      kind == answer_kind::gif ? gif_answer() : accepted_answer(batch.events.size(), batch.rejected);
  // With the id cookie on, the tracker sends credentials, and the browser shows it an answer
  // only if the collector allows them.
  if (!req.origin.empty())
    site_registry::add_cors_headers(req.origin, success.headers, identity_cookie_.has_value());
  std::string network_id = identity_of(req, success);
  admit(req, batch, admission{*known, std::move(success), false, false, std::move(network_id), nullptr},
        std::move(respond));
}

void pipeline::admit(ingest_request& req, event::batch& batch, admission a, respond_fn respond) {
  const config::site_config& site = a.site;
  if (const auto wait = site_requests_.take(site.key)) {
    probe_.rate_limited.inc({"site"});
    return respond(rate_limited(*wait, fmt::format("site \"{}\"", site.key), "ingest.site_requests_per_s"));
  }
  static const client_address withheld;
  const client_address& address = a.anonymous ? withheld : req.client;
  const arrival from{site.key, base::now_unix_ms(), address.stored, req.user_agent, a.network_id};
  const std::size_t waited_bad = a.wait_for_bad_records ? batch.rejected.size() : 0;
  if (batch.events.empty() && waited_bad == 0) {
    for (const auto& r : batch.rejected) {
      probe_.rejected.inc({event::to_string(r.what.why)});
      write_bad(req, site.key, from.collector_ts, event::to_string(r.what.why), r.what.detail, r.index,
                r.raw);
    }
    return respond(std::move(a.success));
  }
  // Not make_shared: the deadline's weak reference would keep the whole answer's memory alive
  // until the deadline, not just the control block.
  // The events are one append, one result; each waited-for bad record is one more.
  std::shared_ptr<pending_answer> pending(new pending_answer(
      (batch.events.empty() ? 0 : 1) + waited_bad, std::move(a.success), std::move(respond), probe_));
  deadlines_.watch(answer_by(req), pending);
  for (const auto& r : batch.rejected) {
    probe_.rejected.inc({event::to_string(r.what.why)});
    write_bad(req, site.key, from.collector_ts, event::to_string(r.what.why), r.what.detail, r.index, r.raw,
              a.wait_for_bad_records ? pending : nullptr);
  }
  if (batch.events.empty()) return;

  accepted_.at(&site)->inc(batch.events.size());
  // The full address is used here, once per request, and goes no further.
  auto facts = enrich_.facts(site, address.full, req.user_agent, from.collector_ts);
  if (a.anonymous) facts.ids.reset();  // derived from the address, which SP-Anonymous withholds
  encoded_records& out = encoded_records::for_this_thread();
  out.clear();
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    event::event& e = batch.events[i];
    // A server-side tracker names the end user's address and user agent: they replace the
    // request's (its own), for the stored columns and for what is derived from them.
    const event::foreign_hints* hint = a.hints && i < a.hints->size() ? &(*a.hints)[i] : nullptr;
    if (hint && ((hint->ip && !a.anonymous) || hint->user_agent)) {
      const client_address theirs =
          hint->ip && !a.anonymous ? client_ip(*hint->ip, "", {}, cfg_.anonymize_ip) : address;
      const std::string& ua = hint->user_agent ? *hint->user_agent : req.user_agent;
      auto own = enrich_.facts(site, theirs.full, ua, from.collector_ts);
      if (a.anonymous) own.ids.reset();
      enrich_.apply(e, site, own);
      stamp(e, arrival{from.site, from.collector_ts, theirs.stored, ua, from.network_id});
    } else {
      // Enrichment first: private parameters leave the URLs before stamp() reads utm_* from
      // them, and stamp() then cuts every field, the looked-up ones too, to its column limit.
      enrich_.apply(e, site, facts);
      stamp(e, from);
    }
    out.add(partition_key(e), e, cfg_.records);
  }
  log_.append(stream::events, out.records(), [pending](base::status s) { pending->delivered(s); });
}

base::steady::time_point pipeline::answer_by(const ingest_request& req) const {
  const auto ours = base::steady::now() + cfg_.produce_timeout;
  return req.answer_by == base::steady::time_point{} ? ours : std::min(ours, req.answer_by);
}

void pipeline::refuse(const ingest_request& req, std::string_view site_key, const refusal& r,
                      respond_fn& respond, protocol of) {
  probe_.refused.inc({r.code});
  // Only a configured site's key goes into the record: anything else is untrusted text.
  const std::string_view site = sites_.find(site_key) ? site_key : std::string_view{};
  write_bad(req, site, base::now_unix_ms(), r.code, r.message, std::nullopt, req.body);
  ingest_response answer = r.to_response();
  if (of == protocol::segment) answer.body.insert(1, "\"success\":false,");
  if (!req.origin.empty() && sites_.any_site_allows(req.origin)) {
    site_registry::add_cors_headers(req.origin, answer.headers,
                                    of != protocol::native || identity_cookie_.has_value());
  }
  respond(std::move(answer));
}

void pipeline::reject_other_sites(event::foreign_batch& b, const config::site_config& site,
                                  protocol of) const {
  // Positions in the body: the accepted events fill the gaps the rejected leave.
  std::vector<std::size_t> position;
  position.reserve(b.base.events.size());
  for (std::size_t at = 0, r = 0; position.size() < b.base.events.size(); ++at) {
    while (r < b.base.rejected.size() && b.base.rejected[r].index < at) ++r;
    if (r < b.base.rejected.size() && b.base.rejected[r].index == at) continue;
    position.push_back(at);
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < b.base.events.size(); ++i) {
    const std::string_view own = i < b.hints.size() ? std::string_view(b.hints[i].source_key) : "";
    const config::site_config* theirs =
        of == protocol::snowplow ? sites_.find_by_app_id(own) : sites_.find_by_write_key(own);
    if (own.empty() || theirs == &site) {
      if (kept != i) {
        b.base.events[kept] = std::move(b.base.events[i]);
        b.hints[kept] = std::move(b.hints[i]);
      }
      ++kept;
      continue;
    }
    std::string raw;
    event::encode(b.base.events[i], raw);
    b.base.rejected.push_back(
        {position[i],
         {event::reason::site_mismatch,
          fmt::format("this event names \"{}\", which is not site \"{}\"'s, the site of its request; "
                      "send each site's events in their own requests",
                      own.substr(0, 64), site.key)},
         std::move(raw)});
  }
  b.base.events.resize(kept);
  b.hints.resize(std::min(kept, b.hints.size()));
}

void pipeline::refuse_durably(const ingest_request& req, std::string_view site_key, const refusal& r,
                              std::string_view raw, ingest_response answer, respond_fn respond) {
  probe_.refused.inc({r.code});
  const std::string_view site = sites_.find(site_key) ? site_key : std::string_view{};
  std::shared_ptr<pending_answer> pending(
      new pending_answer(1, std::move(answer), std::move(respond), probe_));
  deadlines_.watch(answer_by(req), pending);
  write_bad(req, site, base::now_unix_ms(), r.code, r.message, std::nullopt, raw, pending);
}

void pipeline::write_bad(const ingest_request& req, std::string_view site_key, std::int64_t collector_ts,
                         std::string_view reason, std::string_view detail, std::optional<std::size_t> index,
                         std::string_view raw, std::shared_ptr<pending_answer> waiting) {
  // Anyone can send rejected input: what of it is kept is limited per client and per site, so
  // that a flood cannot fill the bad table. Every rejection is still counted.
  const std::string_view client = limited_client(req);
  const char* over = !client.empty() && client_bad_records_.take(client) ? "client"
                     : site_bad_records_.take(site_key)                  ? "site"
                                                                         : nullptr;
  if (over) {
    probe_.bad_records_dropped.inc({over});
    if (waiting) waiting->delivered(base::ok_v);
    return;
  }
  // What the collector would have removed from an event is blanked in input it could not read.
  const std::string scrubbed = enrich_.scrub_raw(sites_.find(site_key), raw);
  const std::string record = encode_bad_record({reason, detail, site_key, collector_ts, index, scrubbed});
  // Unless an answer waits for it, rejected input is answered at once; its bad-topic record is
  // written in the background and, if that fails, counted and logged rather than holding the
  // client.
  log_.append(stream::bad, site_key, record, [this, reason = std::string(reason), waiting](base::status s) {
    if (waiting) waiting->delivered(s);
    if (s) return;
    probe_.bad_records_lost.inc();
    base::logger_for("ingest").warn("bad record not written reason={} error=\"{}\"", reason, s.err().message);
  });
}

}  // namespace clicktrail::ingest
