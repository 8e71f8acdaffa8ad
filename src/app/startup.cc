#include "app/startup.h"

#include <fmt/format.h>

#include "app/server_options.h"
#include "base/log.h"
#include "http/ops_routes.h"

namespace clicktrail::app {

base::result<config::config> load_for(const config::load_options& sources, std::string_view command,
                                      const requirement& needs) {
  auto loaded = config::load_config(sources);
  if (!loaded) {
    return base::error::fail(
        fmt::format("{}\nclicktrail {}: invalid configuration", loaded.err().message, command));
  }
  if (needs) {
    if (auto missing = needs(*loaded)) return base::error::fail(std::move(*missing));
  }
  if (auto s = base::init_logging(loaded->log.level); !s) return std::move(s).err();
  return std::move(loaded).value();
}

std::optional<config::config> start_up(const config::load_options& sources, std::string_view command,
                                       const requirement& needs) {
  auto loaded = load_for(sources, command, needs);
  if (!loaded) {
    fmt::print(stderr, "{}\n", loaded.err().message);
    return std::nullopt;
  }
  return std::move(loaded).value();
}

bool start_server(http::server& server) {
  try {
    server.start();
    return true;
  } catch (const std::exception& e) {
    base::logger_for("http").error("cannot start: {}", e.what());
    return false;
  }
}

bool start_admin_server(const config::config& c, base::registry& metrics,
                        const std::function<void(http::router&)>& add, std::unique_ptr<http::server>& out) {
  if (!c.http.admin_listen) return true;
  http::router routes;
  http::add_health_routes(routes);
  add(routes);
  http::server_options o = server_options_from(c);
  o.host = c.http.admin_listen->host;
  o.port = c.http.admin_listen->port;
  o.threads = 1;
  o.max_body_bytes = 0;  // GETs only
  out = std::make_unique<http::server>(o, std::move(routes), metrics);
  if (!start_server(*out)) return false;
  base::logger_for("http").info("operator routes on http://{}:{}/", o.host, out->local_port());
  return true;
}

}  // namespace clicktrail::app
