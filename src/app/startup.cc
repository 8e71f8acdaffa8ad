#include "app/startup.h"

#include <fmt/format.h>

#include "base/log.h"

namespace clicktrail::app {

std::optional<config::config> start_up(const config::load_options& sources, std::string_view command,
                                       const requirement& needs) {
  auto loaded = config::load_config(sources);
  if (!loaded) {
    fmt::print(stderr, "{}\nclicktrail {}: invalid configuration\n", loaded.err().message, command);
    return std::nullopt;
  }
  if (needs) {
    if (auto missing = needs(*loaded)) {
      fmt::print(stderr, "{}\n", *missing);
      return std::nullopt;
    }
  }
  if (auto s = base::init_logging(loaded->log.level); !s) {
    fmt::print(stderr, "{}\n", s.err().message);
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

}  // namespace clicktrail::app
