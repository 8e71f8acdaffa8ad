#pragma once
// A consumed record after routing: which table and time partition it belongs to, and what to
// write there — the event (events table), or the reason it is not one (bad table).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/uuid.h"
#include "event/event.h"

namespace clicktrail::sink {

enum class table { events, bad };
const char* to_string(table t) noexcept;  // "events", "bad": the first path segment of a key

struct routed_record {
  std::int64_t offset = 0;
  table to = table::events;
  std::string time_partition;
  event::event e;                // events: the decoded event, enriched
  std::optional<base::uuid> id;  // events: e.event_id's bytes, for the repeat check
  // What the file gets besides the event: events, the canonical JSON (JSON Lines writes it;
  // Parquet only sizes row groups by it); bad, the bad-table JSON line. Either `line`, written
  // here, or when the consumed record serves as it is, `consumed`: a view of the record's value,
  // valid while the record is (the sink appends each record it routes before the next).
  std::string line;
  std::string_view consumed;
  bool dropped = false;  // a bot's event for a site that drops them: consumed, written nowhere

  std::string_view text() const noexcept { return line.empty() ? consumed : std::string_view(line); }
};

}  // namespace clicktrail::sink
