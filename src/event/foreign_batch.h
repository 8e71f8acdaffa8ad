#pragma once
// What another protocol's decoder (Snowplow tp2, Segment) hands ingest: schema-v1 events, and per
// event what the protocol says that is not a column yet. The decoders know no site: ingest maps
// the request's source key to one, then derives the event ids that depend on it.

#include <string>
#include <string_view>
#include <vector>

#include "base/uuid.h"
#include "event/decode.h"
#include "event/event.h"

namespace clicktrail::event {

// One per accepted event, parallel to batch::events.
struct foreign_hints {
  std::string source_key;     // Snowplow's aid, Segment's writeKey (empty: none sent)
  opt_string ip, user_agent;  // the end user's, sent by server-side trackers: they replace the request's
  opt_string foreign_id;      // an eid / messageId that is not a UUID; event_id is left empty for it
};

struct foreign_batch {
  batch base;  // base.site stays unset: the source key names the site
  std::vector<foreign_hints> hints;
  // The request's source key (one site a request, docs/design/issue-14.md): the first event's
  // aid, also when that event is rejected, or the Segment body's writeKey, so that even its bad
  // records go to a site. Empty when none was sent.
  std::string source_key;
};

// event_id = uuid5(ns, site + "\n" + foreign_id) for every event whose hints carry a foreign_id,
// once the site is known: a retry (same id, same site) gives the same event_id, two sites' "1"
// stay two events, and an analyst recomputes it with Python's uuid.uuid5.
void derive_event_ids(foreign_batch& decoded, const base::uuid& ns, std::string_view site);

// One such id.
std::string foreign_event_id(const base::uuid& ns, std::string_view site, std::string_view id);

}  // namespace clicktrail::event
