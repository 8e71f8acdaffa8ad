// Segment's HTTP Tracking API: one message on /track, /page, … or a batch on /batch, with the
// write key in the body or as HTTP Basic, answered as Segment answers (docs/compat-segment.md).

#include <fmt/format.h>

#include "base/base64.h"
#include "base/text.h"
#include "ingest/body.h"
#include "ingest/pipeline.h"
#include "ingest/refusal.h"

namespace clicktrail::ingest {
namespace {

// The user of `Authorization: Basic base64(user:password)`: Segment's write key; empty for
// anything else.
std::string basic_user(std::string_view authorization) {
  authorization = base::trim(authorization);
  if (authorization.size() < 6 || !base::iequals(authorization.substr(0, 6), "basic ")) return {};
  const auto decoded = base::decode_base64(base::trim(authorization.substr(6)));
  if (!decoded) return {};
  return decoded->substr(0, decoded->find(':'));
}

ingest_response success_answer() {
  ingest_response r;
  r.status = 200;
  r.content_type = "application/json";
  r.body = R"({"success":true})";
  return r;
}

}  // namespace

void pipeline::segment(ingest_request req, event::segment_call call, respond_fn respond) {
  if (req.retry) probe_.retries.inc({"segment"});
  std::string key = basic_user(req.authorization);
  const auto site_of = [this](std::string_view k) {
    const config::site_config* s = sites_.find_by_write_key(k);
    return s ? std::string_view(s->key) : std::string_view{};
  };
  if (auto r = check_content_type(req.content_type))
    return refuse(req, site_of(key), *r, respond, protocol::segment);
  if (auto r = decode_content(req.body, req.content_encoding, static_cast<std::size_t>(cfg_.max_body)))
    return refuse(req, site_of(key), *r, respond, protocol::segment);
  if (req.body.size() > static_cast<std::size_t>(segment_.max_batch_bytes)) {
    return refuse(
        req, site_of(key),
        refusal{400, "event_too_large",
                fmt::format("Payload is too large: the body is {} bytes, over segment.max_batch_bytes "
                            "({}); send smaller batches",
                            req.body.size(), segment_.max_batch_bytes)},
        respond, protocol::segment);
  }
  const event::segment_limits seg{static_cast<std::size_t>(segment_.max_message_bytes),
                                  static_cast<std::size_t>(segment_.max_batch_bytes)};
  event::foreign_batch b = event::decode_segment(req.body, call, limits_, seg);
  if (key.empty()) key = b.source_key;
  const config::site_config* site = sites_.find_by_write_key(key);
  if (b.base.refused) {
    return refuse(req, site_of(key),
                  refusal{400, event::to_string(b.base.refused->why), b.base.refused->detail}, respond,
                  protocol::segment);
  }
  // A single message that was rejected is the request's failure: Segment answers 400, also
  // before its write key is known (an oversized message is not read for one).
  const auto single_rejected = [&] {
    return call != event::segment_call::batch && b.base.events.empty() && !b.base.rejected.empty();
  };
  const auto refuse_the_message = [&](std::string_view site_key) {
    const event::rejection& r = b.base.rejected.front();
    probe_.rejected.inc({event::to_string(r.what.why)});
    write_bad(req, site_key, base::now_unix_ms(), event::to_string(r.what.why), r.what.detail, r.index,
              r.raw);
    ingest_response answer = error_response(400, event::to_string(r.what.why), r.what.detail);
    answer.body.insert(1, "\"success\":false,");
    if (!req.origin.empty() && sites_.any_site_allows(req.origin))
      site_registry::add_cors_headers(req.origin, answer.headers, true);
    respond(std::move(answer));
  };
  if (single_rejected()) return refuse_the_message(site_of(key));
  if (!site) {
    const refusal r =
        key.empty()
            ? refusal{401, "missing_site",
                      "no write key: send it as Authorization: Basic base64(writeKey + \":\"), or "
                      "as writeKey in the body"}
            : refusal{401, "unknown_site",
                      fmt::format("write key \"{}\" is no site's: list it in a site's segment_write_keys",
                                  key.substr(0, 64))};
    return refuse(req, "", r, respond, protocol::segment);
  }
  if (!site_registry::origin_allowed(*site, req.origin)) {
    return refuse(req, site->key, origin_not_allowed(req.origin, site->key), respond, protocol::segment);
  }
  reject_other_sites(b, *site, protocol::segment);
  if (single_rejected()) return refuse_the_message(site->key);  // its write key is another site's
  event::derive_event_ids(b, event::segment_id_namespace(), site->key);
  ingest_response success = success_answer();
  site_registry::add_cors_headers(req.origin, success.headers, true);
  admit(req, b.base, admission{*site, std::move(success), true, false, {}, &b.hints}, std::move(respond));
}

}  // namespace clicktrail::ingest
