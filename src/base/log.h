#pragma once
// Logging on spdlog: one named logger per module ("sink", "http", …), all writing to stderr
// through one sink so that lines from different threads never interleave.
//
// A log line is one sentence, then its structured fields as key=value:
//   log.info("uploaded object key={} bytes={} ms={}", key, bytes, ms);

#include <spdlog/logger.h>

#include <memory>
#include <string_view>

#include "base/result.h"

namespace clicktrail::base {

// Sets the level of every module logger ("trace", "debug", "info", "warn", "error", "off").
// Call once at start-up, before threads start; the config layer has validated the name.
status init_logging(std::string_view level);

// The logger of one module; created on first use and kept for the life of the process.
// Thread-safe.
spdlog::logger& logger_for(std::string_view module);

}  // namespace clicktrail::base
