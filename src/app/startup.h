#pragma once
// What every long-running subcommand does first: load and validate its configuration, check
// what that subcommand in particular needs, and start logging. Problems go to stderr.

#include <functional>
#include <memory>
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

// The operator routes' own listener (http.admin_listen): /healthz and the routes `add` adds (as
// they are), started into `out`; `out` stays null when http.admin_listen is not set. False
// (logged) when it cannot listen.
bool start_admin_server(const config::config& c, base::registry& metrics,
                        const std::function<void(http::router&)>& add, std::unique_ptr<http::server>& out);

}  // namespace clicktrail::app
