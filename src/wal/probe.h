#pragma once
// The embedded log's metrics, declared in one place; each labelled with the log's name.

#include <string>

#include "base/metrics.h"

namespace clicktrail::wal {

struct probe {
  probe(base::registry& r, const std::string& name)
      : appended(r.add_counter("clicktrail_wal_records_total", "Records made durable in the embedded log.",
                               {{"log", name}})),
        commits(r.add_counter("clicktrail_wal_commits_total",
                              "Group commits (one fsync each) of the embedded log.", {{"log", name}})),
        commit_seconds(r.add_histogram("clicktrail_wal_commit_seconds",
                                       "Time to write and fsync one group commit.", base::latency_buckets(),
                                       {{"log", name}})),
        segments(
            r.add_gauge("clicktrail_wal_segments", "Segment files of the embedded log.", {{"log", name}})),
        torn_tails(
            r.add_counter("clicktrail_wal_torn_tails_total",
                          "Incomplete records cut from the end of the newest segment at start-up (a crash "
                          "during a write; none of them had been acknowledged).",
                          {{"log", name}})),
        damaged_segments(
            r.add_counter("clicktrail_wal_damaged_segments_total",
                          "Segments found damaged at start-up and moved aside (<segment>.damaged); "
                          "their readable records were kept, the others lost.",
                          {{"log", name}})),
        damaged_files(r.add_gauge("clicktrail_wal_damaged_files",
                                  "Damaged segments kept in the log's directory (<segment>.damaged) until an "
                                  "operator removes them.",
                                  {{"log", name}})) {}
  base::counter& appended;
  base::counter& commits;
  base::histogram& commit_seconds;
  base::gauge& segments;
  base::counter& torn_tails;
  base::counter& damaged_segments;
  base::gauge& damaged_files;
};

}  // namespace clicktrail::wal
