#pragma once
// The sink's metrics, declared in one place.

#include <cstdint>
#include <string>

#include "base/metrics.h"

namespace clicktrail::sink {

struct probe {
  explicit probe(base::registry& r)
      : registry(r),
        records_in(
            r.add_counter("clicktrail_sink_records_in_total", "Records consumed and appended to a file.")),
        records_out(
            r.add_counter("clicktrail_sink_records_out_total", "Records in files completed in the store.")),
        bad_records(r, "clicktrail_sink_bad_records_total", "Records sent to the bad table, by reason.",
                    {"reason"}),
        files_written(r.add_counter("clicktrail_sink_files_written_total", "Files completed in the store.")),
        bytes_written(
            r.add_counter("clicktrail_sink_bytes_written_total", "Bytes of files completed in the store.")),
        commits(r.add_counter("clicktrail_sink_commits_total", "Offsets committed.")),
        table_commits(
            r.add_counter("clicktrail_sink_table_commits_total",
                          "Iceberg table commits (sink.table = \"iceberg\"), each of every partition "
                          "ready then.")),
        glue_failures(
            r.add_counter("clicktrail_sink_glue_publish_failures_total",
                          "Table commits whose version the Glue table (sink.glue_table) could not be "
                          "pointed at; the next commit tries again with its own.")),
        recovered_deletes(r.add_counter("clicktrail_sink_recovery_deletes_total",
                                        "Leftover files of an uncommitted run retired on assignment.")),
        commit_retries(
            r.add_counter("clicktrail_sink_commit_retries_total",
                          "Commits that failed transiently (coordinator moved, rebalance) and were tried "
                          "again.")),
        repeated_events(r.add_counter("clicktrail_sink_repeated_events_total",
                                      "Events dropped as repeats of an event_id met shortly before in their "
                                      "partition (sink.dedup_window).")),
        fenced(r.add_counter(
            "clicktrail_sink_fenced_partitions_total",
            "Partitions dropped because another owner took them over while this sink stalled.")),
        bot_events(r, "clicktrail_sink_bot_events_total",
                   "Events from bots, by site and what became of them (stored with is_bot, or dropped by the "
                   "site's drop_bots).",
                   {"site", "action"}),
        ua_cache_hits(r.add_counter("clicktrail_sink_ua_cache_hits_total",
                                    "Events whose user agent was parsed already (enrich.ua_cache_entries).")),
        ua_cache_misses(r.add_counter("clicktrail_sink_ua_cache_misses_total",
                                      "Events whose user agent was parsed anew.")),
        open_files(r.add_gauge("clicktrail_sink_open_files", "Files open (being written).")),
        upload_seconds(
            r.add_histogram("clicktrail_sink_upload_seconds",
                            "Time to complete a file in the store (finish + commit of its upload).",
                            base::latency_buckets())),
        buffered_bytes(
            r.add_gauge("clicktrail_sink_buffered_bytes",
                        "Bytes the open files hold in memory (parts being filled, encoder buffers).")) {}

  // Records between the sink's position in a partition and the partition's end, as last seen.
  base::gauge& lag(const std::string& topic, std::int32_t partition) {
    return registry.add_gauge(
        "clicktrail_sink_lag_records",
        "Records not yet consumed by this sink, per partition it owns (0 once revoked).",
        {{"topic", topic}, {"partition", std::to_string(partition)}});
  }

  base::registry& registry;
  base::counter& records_in;
  base::counter& records_out;
  base::counter_family bad_records;
  base::counter& files_written;
  base::counter& bytes_written;
  base::counter& commits;
  base::counter& table_commits;
  base::counter& glue_failures;
  base::counter& recovered_deletes;
  base::counter& commit_retries;
  base::counter& repeated_events;
  base::counter& fenced;
  base::counter_family bot_events;
  base::counter& ua_cache_hits;
  base::counter& ua_cache_misses;
  base::gauge& open_files;
  base::histogram& upload_seconds;
  base::gauge& buffered_bytes;
};

}  // namespace clicktrail::sink
