#pragma once
// Routes each consumed record: a valid schema-v1 event goes to the events table under the time
// partition of its collector_ts (or event_ts); anything else — not JSON, not an event, empty,
// a null value — goes to the bad table with the reason and its raw bytes, so a poison record
// never stops its partition.

#include <string>

#include "config/config.h"
#include "sink/routed_record.h"
#include "sink/source.h"

namespace clicktrail::sink {

class router {
 public:
  router(std::string layout, config::time_source by, std::string source_name)
      : layout_(std::move(layout)), by_(by), source_name_(std::move(source_name)) {}

  routed_record route(const source_record& r) const;

 private:
  std::string layout_;
  config::time_source by_;
  std::string source_name_;
};

}  // namespace clicktrail::sink
