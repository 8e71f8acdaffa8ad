#pragma once
// Decoding Snowplow's tracker protocol (tp2) into schema-v1 events: the POST body (the
// `payload_data` self-describing JSON, an array of events whose every value is a string) and the
// query string of `GET /i` (one event). docs/compat-snowplow.md gives the mapping parameter by
// parameter; a parameter without a column is kept in `props.snowplow` as sent.
//
// Transport-free and site-free: the caller (ingest/) maps each event's `aid` to a site, takes
// the end user's ip and user agent from the hints, and then calls derive_event_ids with the site
// so that a non-UUID `eid` becomes a stable event_id.
//
// Same promises as decode_batch: every event is validated on its own, a bad one is rejected with
// its reason and its text as sent, only an unreadable body is refused whole; no exception but
// std::bad_alloc escapes; the work is linear in the input. Thread-safe: each call uses its own
// (thread-local, reused) parser state.

#include <string>
#include <string_view>
#include <vector>

#include "base/uuid.h"
#include "event/decode.h"
#include "event/event.h"

namespace clicktrail::event {

// What a foreign protocol says about an event that is not a column: one per accepted event,
// parallel to batch::events.
struct foreign_hints {
  std::string source_key;     // Snowplow's aid (empty: none sent); ingest maps it to a site
  opt_string ip, user_agent;  // tp2 `ip` / `ua`: the end user's, set by server-side trackers
  opt_string foreign_id;      // an `eid` that is not a UUID; event_id is left empty for it
};

struct foreign_batch {
  batch base;
  std::vector<foreign_hints> hints;
  // The first event's aid, also when that event is rejected: the request's site (one site a
  // request, docs/design/issue-14.md), so that even its bad records go to a site. Absent when the
  // first event has none, or is not an object of strings.
  opt_string source_key;
};

// A `payload_data` body: {"schema": "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-N",
// "data": [{…}, …]}.
foreign_batch decode_tp2_body(std::string_view body, const limits& lim = {});

// The query string of GET /i (with or without the leading '?'): one event, percent-encoded.
foreign_batch decode_tp2_query(std::string_view query, const limits& lim = {});

// uuid5(NAMESPACE_URL, "https://github.com/clicktrail/clicktrail#snowplow-event-id")
// = 4c83709b-cd83-554c-88f6-b8b9b901884e (docs/design/issue-14.md).
const base::uuid& snowplow_id_namespace() noexcept;

// The event_id of a non-UUID eid: uuid5(snowplow_id_namespace(), site + "\n" + eid), which an
// analyst recomputes with Python's uuid.uuid5. The site is in it so that two sites' eid "1"
// stay two events.
std::string snowplow_event_id(std::string_view site, std::string_view eid);

// Fills event_id of every event whose hints carry a foreign_id, once the site is known.
void derive_event_ids(foreign_batch& decoded, std::string_view site);

}  // namespace clicktrail::event
