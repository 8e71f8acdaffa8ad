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
#include "event/foreign_batch.h"

namespace clicktrail::event {

// Which route the body came in on; analytics.js's one-letter paths map to the same calls.
enum class segment_call : std::uint8_t { track, page, screen, identify, group, alias, batch };

struct segment_limits {
  std::size_t max_message_bytes = 32 * 1024;  // one message's JSON text as sent
  std::size_t max_batch_bytes = 500 * 1024;   // the whole body
};

// The hints' source_key is the message's writeKey, else the body's; foreign_id a messageId that
// is not a UUID. The batch's source_key is the body's writeKey (batch) or the lone message's.
foreign_batch decode_segment(std::string_view body, segment_call call, const limits& lim = {},
                             const segment_limits& seg = {});

// uuid5(NAMESPACE_URL, "https://github.com/clicktrail/clicktrail#segment-message-id"): the
// namespace of derive_event_ids for non-UUID messageIds.
const base::uuid& segment_id_namespace() noexcept;

// A track call's event name as an event type: ASCII lower case, every run of other characters
// one '_', '_' trimmed at both ends, at most 64 bytes, "event_" in front when it does not start
// with a letter, "track" when nothing is left ("Order Completed" → "order_completed").
std::string segment_type_name(std::string_view event_name);

}  // namespace clicktrail::event
