#pragma once
// A consumed record after routing: which table and time partition it belongs to, and what to
// write there — the event (events table), or the reason it is not one (bad table).

#include <cstdint>
#include <string>
#include <string_view>

#include "event/event.h"

namespace clicktrail::sink {

enum class table { events, bad };
const char* to_string(table t) noexcept;  // "events", "bad": the first path segment of a key

struct routed_record {
  std::int64_t offset = 0;
  table to = table::events;
  std::string time_partition;
  event::event e;        // events: the decoded event, enriched
  std::string line;      // events: the canonical JSON; bad: the bad-table JSON line
  bool dropped = false;  // a bot's event for a site that drops them: consumed, written nowhere
};

}  // namespace clicktrail::sink
