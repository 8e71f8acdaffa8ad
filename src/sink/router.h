#pragma once
// Routes each consumed record: a valid schema-v1 event goes to the events table under the time
// partition of its collector_ts (or event_ts); anything else — not JSON, not an event, empty,
// a null value — goes to the bad table with the reason and its raw bytes, so a poison record
// never stops its partition. Records of the collector's rejected input are bad-table rows
// already: they go to the bad table as they are, under the time partition of their
// collector_ts.
//
// Events are enriched here (enrich/sink_enricher.h), each sink with its own user-agent cache.

#include <simdjson.h>

#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "enrich/sink_enricher.h"
#include "sink/routed_record.h"
#include "sink/sink_options.h"
#include "sink/source.h"
#include "sink/time_partition.h"

namespace clicktrail::sink {

class router {
 public:
  router(const sink_options& options, std::string source_name)
      : input_(options.input),
        partitions_(options.layout),
        by_(options.partition_by),
        source_name_(std::move(source_name)),
        rewrite_line_(options.format == config::output_format::jsonl) {
    if (options.enrichment) enricher_.emplace(options.enrichment);
  }

  routed_record route(const source_record& r);
  // The same into `out`, whatever it held: the strings of its event and line are reused, so that
  // routing one record after another into the same `out` allocates little.
  void route_into(const source_record& r, routed_record& out);
  // The user-agent cache's hits and misses so far (none without enrichment).
  std::uint64_t cache_hits() const noexcept { return enricher_ ? enricher_->cache_hits() : 0; }
  std::uint64_t cache_misses() const noexcept { return enricher_ ? enricher_->cache_misses() : 0; }

 private:
  routed_record route_rejected(const source_record& r);
  routed_record to_bad_table(const source_record& r, std::string_view reason) const;

  input_kind input_;
  simdjson::dom::parser parser_;  // rejected input: kept, so that its buffers are reused
  time_partitioner partitions_;
  config::time_source by_;
  std::string source_name_;
  bool rewrite_line_;  // the format stores the JSON line, so an enriched event is encoded again
  std::optional<enrich::sink_enricher> enricher_;
};

}  // namespace clicktrail::sink
