#include "app/startup.h"

#include <fmt/format.h>

#include "base/log.h"

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

}  // namespace clicktrail::app
