#pragma once
// What the sink needs from the validated configuration.

#include <chrono>
#include <cstdint>
#include <string>

#include "config/config.h"

namespace clicktrail::sink {

struct sink_options {
  config::output_format format = config::output_format::jsonl;
  config::compression codec = config::compression::gzip;
  config::time_source partition_by = config::time_source::collector_ts;
  std::string layout = "year=%Y/month=%m/day=%d/hour=%H";
  std::int64_t max_records = 1'000'000;
  std::int64_t max_bytes = 128LL << 20;
  std::chrono::milliseconds max_age{300'000};
  std::size_t max_open_files = 500;  // per sink; over it the oldest file closes
  std::size_t poll_batch = 10'000;   // records per poll
};

sink_options options_from(const config::sink_config& c);

}  // namespace clicktrail::sink
