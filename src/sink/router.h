#pragma once
// Routes each consumed record: a valid schema-v1 event goes to the events table under the time
// partition of its collector_ts (or event_ts); anything else — not JSON, not an event, empty,
// a null value — goes to the bad table with the reason and its raw bytes, so a poison record
// never stops its partition. Records of the collector's rejected input are bad-table rows
// already: they go to the bad table as they are, under the time partition of their
// collector_ts.

#include <simdjson.h>

#include <string>

#include "config/config.h"
#include "sink/routed_record.h"
#include "sink/sink_options.h"
#include "sink/source.h"

namespace clicktrail::sink {

class router {
 public:
  router(input_kind input, std::string layout, config::time_source by, std::string source_name)
      : input_(input), layout_(std::move(layout)), by_(by), source_name_(std::move(source_name)) {}

  routed_record route(const source_record& r);

 private:
  routed_record route_rejected(const source_record& r);
  routed_record to_bad_table(const source_record& r, std::string_view reason) const;

  input_kind input_;
  simdjson::dom::parser parser_;  // rejected input: kept, so that its buffers are reused
  std::string layout_;
  config::time_source by_;
  std::string source_name_;
};

}  // namespace clicktrail::sink
