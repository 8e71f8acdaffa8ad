// `clicktrail run`: the embedded default — collector, embedded log and sink in one process.
// Until those modules land it serves the operations routes and says what is missing.

#include <fmt/format.h>

#include <csignal>
#include <cstring>

#include "app/commands.h"
#include "app/server_options.h"
#include "app/signals.h"
#include "app/startup.h"
#include "base/log.h"
#include "config/config.h"
#include "http/ops_routes.h"
#include "http/server.h"

namespace clicktrail::app {
namespace {

constexpr const char* missing_parts =
    "the all-in-one pipeline (collector + embedded log + sink in one process) is not built into "
    "this version yet; it arrives with issue #6. Until then run `clicktrail collect` and "
    "`clicktrail sink` against Kafka";

}  // namespace

int run(const config::load_options& sources) {
  const auto loaded = start_up(sources, "run");
  if (!loaded) return exit_bad_config;
  const config::config& cfg = *loaded;
  auto& log = base::logger_for("run");

  base::registry metrics;
  http::router routes;
  http::add_ops_routes(routes, metrics);
  routes.add("GET", "/", [](http::request&&, http::reply_fn reply) {
    reply(http::response{200, "text/plain; charset=utf-8",
                         fmt::format("clicktrail run: {}.\nServed now: /healthz and /metrics.\n", missing_parts), {}});
  });

  http::server server(server_options_from(cfg), std::move(routes), metrics);
  if (!start_server(server)) return exit_failure;
  log.info("serving url=http://{}:{}/ routes=/healthz,/metrics", cfg.http.listen.host, server.local_port());
  log.warn("{}", missing_parts);

  const int signal = wait_for_stop_signal();
  log.info("stopping signal={} in_flight={}", strsignal(signal), server.in_flight());
  server.stop();
  return exit_ok;
}

int not_yet_available(const std::string& command, const std::string& what,
                      const std::optional<config::load_options>& sources) {
  if (sources) {
    const auto loaded = config::load_config(*sources);
    if (!loaded) {
      fmt::print(stderr, "{}\nclicktrail {}: invalid configuration\n", loaded.err().message, command);
      return exit_bad_config;
    }
  }
  fmt::print(stderr, "clicktrail {}: {} is not built into this version ({}) yet.\n", command, what,
             "see the project's issues for when it lands");
  return exit_unavailable;
}

}  // namespace clicktrail::app
