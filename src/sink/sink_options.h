#pragma once
// What the sink needs from the validated configuration.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "enrich/sink_enricher.h"
#include "store/object_store.h"
#include "table/glue_catalog.h"
#include "table/iceberg_schema.h"
#include "table/rest_catalog.h"

namespace clicktrail::sink {

// What the source holds: the collector's events, or its rejected input (kafka.bad_topic), whose
// records are bad-table rows already (ingest/bad_record.h).
enum class input_kind { events, rejected };

struct sink_options {
  input_kind input = input_kind::events;
  config::output_format format = config::output_format::jsonl;
  // sink.table = "iceberg": the events go into an Iceberg table at the output, partitioned so.
  std::optional<clicktrail::table::partitioning> iceberg;
  // sink.glue_table: a Glue table kept pointing at the Iceberg table's current version.
  std::optional<clicktrail::table::glue_options> glue;
  // sink.catalog_uri: the Iceberg REST catalog that keeps the table's versions (its location is
  // the output's, filled in where the store is known).
  std::optional<clicktrail::table::rest_options> catalog;
  config::compression codec = config::compression::gzip;
  int compression_level = 0;  // 0: the codec's default
  config::time_source partition_by = config::time_source::collector_ts;
  std::string layout = "year=%Y/month=%m/day=%d/hour=%H";
  std::int64_t max_records = 1'000'000;
  std::int64_t max_bytes = 128LL << 20;
  std::chrono::milliseconds max_age{300'000};
  std::size_t max_open_files = 500;               // per sink; over it the oldest file closes
  std::size_t dedup_window = 100'000;             // event ids remembered per partition (recent_ids.h)
  std::int64_t max_buffered_bytes = 256LL << 20;  // per sink; over it the fullest file closes
  std::int64_t row_group_rows = 128 * 1024;       // Parquet row groups
  std::int64_t row_group_bytes = 64LL << 20;
  std::size_t poll_batch = 10'000;  // records per poll
  std::size_t threads = 1;          // workers that write partitions side by side (workers.h)
  // Resume where the source says even when that is below what the store holds (a topic created
  // again): --accept-offset-reset, never a setting — it answers one event (partition_claim.h).
  bool accept_offset_reset = false;
  // The enrichment rules (user agent, bots, referrer), shared by the sinks of a process; null for
  // the rejected input, whose rows are not events.
  std::shared_ptr<const enrich::sink_rules> enrichment;
};

sink_options options_from(const config::sink_config& c);
// The catalog that keeps the versions of the table at `store`'s root: the REST catalog of
// sink.catalog_uri (`rest`), or nullptr for none (iceberg_table then keeps them in the store).
std::unique_ptr<clicktrail::table::catalog> table_catalog(
    const std::optional<clicktrail::table::rest_options>& rest, const store::object_store& store);

}  // namespace clicktrail::sink
