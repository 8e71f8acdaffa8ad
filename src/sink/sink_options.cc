#include "sink/sink_options.h"

#include "table/iceberg_table.h"

namespace clicktrail::sink {

std::unique_ptr<clicktrail::table::catalog> table_catalog(
    const std::optional<clicktrail::table::rest_options>& rest, const store::object_store& store) {
  if (!rest) return nullptr;
  auto o = *rest;
  o.location = clicktrail::table::location_of(store);
  return clicktrail::table::rest_catalog::open(std::move(o));
}

sink_options options_from(const config::sink_config& c) {
  sink_options o;
  o.format = c.format;
  if (c.table == config::table_kind::iceberg) {
    clicktrail::table::partitioning p;
    p.source = c.partition_by == config::time_source::event_ts ? "event_ts" : "collector_ts";
    // The layout has the whole date (config checks): with the hour too, a file holds one hour.
    p.by = c.layout.find("%H") != std::string::npos ? clicktrail::table::partitioning::transform::hour
                                                    : clicktrail::table::partitioning::transform::day;
    o.iceberg = p;
    if (!c.glue.database.empty()) {
      o.glue = clicktrail::table::glue_options{.region = c.glue.region,
                                               .endpoint = c.glue.endpoint,
                                               .database = c.glue.database,
                                               .table = c.glue.table};
    }
    if (!c.catalog.uri.empty()) {
      o.catalog = clicktrail::table::rest_options{.uri = c.catalog.uri,
                                                  .warehouse = c.catalog.warehouse,
                                                  .ns = c.catalog.ns,
                                                  .table = c.catalog.table,
                                                  .token = c.catalog.token,
                                                  .location = ""};
    }
  }
  o.codec = c.codec;
  o.compression_level = c.compression_level;
  o.partition_by = c.partition_by;
  o.layout = c.layout;
  o.max_records = c.max_records;
  o.max_bytes = c.max_bytes;
  o.max_age = c.max_age;
  o.max_open_files = static_cast<std::size_t>(c.max_open_files);
  o.dedup_window = static_cast<std::size_t>(c.dedup_window);
  o.threads = static_cast<std::size_t>(c.threads);
  o.max_buffered_bytes = c.max_buffered_bytes;
  o.row_group_rows = c.row_group_rows;
  o.row_group_bytes = c.row_group_bytes;
  return o;
}

}  // namespace clicktrail::sink
