#pragma once
// What every long-running subcommand does first: load and validate its configuration, check
// what that subcommand in particular needs, and start logging. Problems go to stderr.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "config/config.h"
#include "http/server.h"

namespace clicktrail::app {

// A subcommand's own requirement: a message naming what is missing and how to add it, or
// nullopt when the configuration will do.
using requirement = std::function<std::optional<std::string>(const config::config&)>;

// The configuration, or every problem found in one message (for callers that report it
// elsewhere too, like the Lambda runtime's init error). Logging is started on success.
base::result<config::config> load_for(const config::load_options& sources, std::string_view command,
                                      const requirement& needs = {});

// nullopt: a problem was reported on stderr; the caller exits with exit_bad_config.
std::optional<config::config> start_up(const config::load_options& sources, std::string_view command,
                                       const requirement& needs = {});

// Starts the HTTP server; false (logged, naming the address and the fix) when it cannot listen.
bool start_server(http::server& server);

}  // namespace clicktrail::app
