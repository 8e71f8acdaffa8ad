#pragma once
// Decoding Segment's HTTP Tracking API (docs/compat-segment.md): the body of POST /v1/track,
// /page, /screen, /identify, /group, /alias (one message) or /batch, /import (`{"batch": […]}`),
// read in one pass into schema-v1 events. Transport-free: the route, the Authorization header,
// the write key → site lookup and the answer are ingest's. Like decode_batch, a bad message is
// rejected with its index and reason and the rest go on; a body that cannot be read is refused.
//
// Input is untrusted: no exception leaves these functions (allocation failure aside), and the
// work is linear in the body, which the caller has bounded.
//
// Thread-safe: each call uses its own (thread-local, reused) parser state.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/uuid.h"
#include "event/decode.h"

namespace clicktrail::event {

// Which route the body came in on; analytics.js's one-letter paths map to the same calls.
enum class segment_call : std::uint8_t { track, page, screen, identify, group, alias, batch };

struct segment_limits {
  std::size_t max_message_bytes = 32 * 1024;  // one message's JSON text as sent
  std::size_t max_batch_bytes = 500 * 1024;   // the whole body
};

// What a message says about itself that is not an event field yet: ingest decides. Parallel to
// batch::events.
struct segment_hints {
  std::string write_key;  // the message's writeKey, else the body's; empty: none sent
  opt_string ip;          // context.ip: replaces the peer's address (anonymised by ingest)
  opt_string user_agent;  // context.userAgent: replaces the User-Agent header
  opt_string message_id;  // a messageId that is not a UUID: derive_segment_event_ids hashes it
};

struct segment_batch {
  batch base;  // base.site and base.sent_ts stay unset: the site comes from the write key
  std::vector<segment_hints> hints;
  std::string write_key;  // the body's writeKey (batch) or the lone message's; empty: none
};

segment_batch decode_segment(std::string_view body, segment_call call, const limits& lim = {},
                             const segment_limits& seg = {});

// uuid5(NAMESPACE_URL, "https://github.com/clicktrail/clicktrail#segment-message-id").
const base::uuid& segment_namespace() noexcept;

// Once the write key has named the site: every event whose hint has a message_id gets
// event_id = uuid5(segment_namespace(), site + "\n" + messageId), so that a retry (same
// messageId, same site) gives the same id and two sites' "1" do not collide. Events without a
// messageId keep an empty event_id (the collector assigns a UUIDv7).
void derive_segment_event_ids(segment_batch& b, std::string_view site);

// A track call's event name as an event type: ASCII lower case, every run of other characters
// one '_', '_' trimmed at both ends, at most 64 bytes, "event_" in front when it does not start
// with a letter, "track" when nothing is left ("Order Completed" → "order_completed").
std::string segment_type_name(std::string_view event_name);

}  // namespace clicktrail::event
