#pragma once
// Decoding Snowplow's tracker protocol (tp2) into schema-v1 events: the POST body (the
// `payload_data` self-describing JSON, an array of events whose every value is a string) and the
// query string of `GET /i` (one event). docs/compat-snowplow.md gives the mapping parameter by
// parameter; a parameter without a column is kept in `props.snowplow` as sent.
//
// Transport-free and site-free: the caller (ingest/) maps each event's `aid` to a site, takes
// the end user's ip and user agent from the hints, and then calls derive_event_ids with the site
// and snowplow_id_namespace() so that a non-UUID `eid` becomes a stable event_id.
//
// Same promises as decode_batch: every event is validated on its own, a bad one is rejected with
// its reason and its text as sent, only an unreadable body is refused whole; no exception but
// std::bad_alloc escapes; the work is linear in the input. Thread-safe: each call uses its own
// (thread-local, reused) parser state.

#include <string>
#include <string_view>
#include <vector>

#include "base/uuid.h"
#include "event/foreign_batch.h"

namespace clicktrail::event {

// A `payload_data` body: {"schema": "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-N",
// "data": [{…}, …]}.
foreign_batch decode_tp2_body(std::string_view body, const limits& lim = {});

// The query string of GET /i (with or without the leading '?'): one event, percent-encoded.
foreign_batch decode_tp2_query(std::string_view query, const limits& lim = {});

// uuid5(NAMESPACE_URL, "https://github.com/clicktrail/clicktrail#snowplow-event-id")
// = 4c83709b-cd83-554c-88f6-b8b9b901884e (docs/design/issue-14.md): the namespace of
// derive_event_ids for non-UUID eids.
const base::uuid& snowplow_id_namespace() noexcept;

}  // namespace clicktrail::event
