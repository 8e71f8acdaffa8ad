// Snowplow's tracker protocol (tp2): the POST body of payload_data and the GET pixel's query, with
// the answers and the network user id cookie of Snowplow's collector (docs/compat-snowplow.md).
// Snowplow's trackers retry every status but a few 4xx, so every problem but a bad origin is
// answered 200 — once its bad record is durable, which keeps "2xx means durable" true.

#include <fmt/format.h>

#include "base/clock.h"
#include "base/uuid.h"
#include "event/snowplow_decode.h"
#include "ingest/body.h"
#include "ingest/pipeline.h"
#include "ingest/pixel.h"
#include "ingest/refusal.h"

namespace clicktrail::ingest {
namespace {

ingest_response ok_answer(bool pixel) {
  ingest_response r;
  r.status = 200;
  if (pixel) {
    r.content_type = "image/gif";
    r.body = std::string(transparent_gif());
    r.headers.emplace_back("Cache-Control", "no-cache, no-store, must-revalidate");
  } else {
    r.content_type = "text/plain; charset=utf-8";
    r.body = "ok";
  }
  return r;
}

}  // namespace

void pipeline::snowplow(ingest_request req, bool pixel, respond_fn respond) {
  ingest_response ok = ok_answer(pixel);
  if (!req.origin.empty() && sites_.any_site_allows(req.origin))
    site_registry::add_cors_headers(req.origin, ok.headers, true);
  // The network user id: the cookie's, or a new one, renewed on every answer. SP-Anonymous
  // asks for neither.
  std::string network_id;
  if (snowplow_.cookie && !req.sp_anonymous) {
    const auto sent = cookie_value(req.cookie, snowplow_cookie_.name);
    const auto id = sent ? base::parse_uuid(*sent) : std::nullopt;
    network_id = (id ? *id : base::make_uuid_v4()).to_string();
    ok.headers.emplace_back("Set-Cookie",
                            set_cookie(snowplow_cookie_, network_id, req.origin, base::now_unix_ms() / 1000));
  }

  const std::size_t max_body = static_cast<std::size_t>(cfg_.max_body);
  if (!pixel) {
    if (auto r = check_content_type(req.content_type))
      return refuse_durably(req, "", *r, req.body.substr(0, max_body), std::move(ok), std::move(respond));
    if (auto r = decode_content(req.body, req.content_encoding, max_body)) {
      // Over the limit is 413 as on every route, since the HTTP server stops reading such a body
      // before any door sees it (the JS tracker sends at most maxPostBytes, 40,000 bytes).
      if (r->status == 413) return refuse(req, "", *r, respond, protocol::snowplow);
      return refuse_durably(req, "", *r, req.body.substr(0, max_body), std::move(ok), std::move(respond));
    }
  }
  event::foreign_batch b =
      pixel ? event::decode_tp2_query(req.query, limits_) : event::decode_tp2_body(req.body, limits_);
  const std::string_view raw = pixel ? std::string_view(req.query) : std::string_view(req.body);
  const config::site_config* site = sites_.find_by_app_id(b.source_key);
  const std::string_view site_key = site ? std::string_view(site->key) : std::string_view{};
  if (b.base.refused) {
    return refuse_durably(req, site_key,
                          refusal{200, event::to_string(b.base.refused->why), b.base.refused->detail}, raw,
                          std::move(ok), std::move(respond));
  }
  if (!site) {
    const refusal r =
        b.source_key.empty()
            ? refusal{200, "missing_site", "no app id: the first event has no aid parameter"}
            : refusal{200, "unknown_site",
                      fmt::format("app id \"{}\" is no site's: list it in a site's snowplow_app_ids",
                                  b.source_key.substr(0, 64))};
    return refuse_durably(req, "", r, raw, std::move(ok), std::move(respond));
  }
  if (!site_registry::origin_allowed(*site, req.origin)) {
    return refuse(req, site->key, origin_not_allowed(req.origin, site->key), respond, protocol::snowplow);
  }
  reject_other_sites(b, *site, protocol::snowplow);
  event::derive_event_ids(b, event::snowplow_id_namespace(), site->key);
  admit(req, b.base, admission{*site, std::move(ok), true, req.sp_anonymous, std::move(network_id), &b.hints},
        std::move(respond));
}

}  // namespace clicktrail::ingest
