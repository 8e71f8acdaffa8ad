// `clicktrail config check FILE` and `clicktrail config docs`.

#include <fmt/format.h>

#include <cstdio>

#include "app/commands.h"
#include "config/config.h"
#include "config/docs.h"

namespace clicktrail::app {

config::load_options config_sources(const std::optional<std::string>& file,
                                    std::vector<config::flag_override> flags) {
  config::load_options options;
  if (file) options.file = *file;
  options.environment = config::process_environment();
  options.flags = std::move(flags);
  return options;
}

int config_check(const std::string& file) {
  const auto loaded = config::load_config(config_sources(file));
  if (!loaded) {
    fmt::print(stderr, "{}\n{}: invalid configuration (see `clicktrail config docs` for every key)\n",
               loaded.err().message, file);
    return exit_bad_config;
  }
  const auto& c = *loaded;
  std::string table;
  if (c.sink.table == config::table_kind::iceberg) {
    table = c.sink.catalog.uri.empty()
                ? ", an Iceberg table"
                : fmt::format(", an Iceberg table {}.{} in the REST catalog {}", c.sink.catalog.ns,
                              c.sink.catalog.table, c.sink.catalog.uri);
    if (!c.sink.glue.database.empty())
      table += fmt::format(" that Glue table {}.{} follows", c.sink.glue.database, c.sink.glue.table);
  }
  fmt::print("{}: valid. listen {}, {} site(s), {}, output {} as {}{}\n", file, c.http.listen.to_string(),
             c.sites.size(), c.kafka ? fmt::format("Kafka at {}", c.kafka->brokers) : "embedded log",
             c.sink.output_text, c.sink.format == config::output_format::parquet ? "Parquet" : "JSON Lines",
             table);
  return exit_ok;
}

int config_docs() {
  fmt::print("{}", config::reference_markdown());
  return exit_ok;
}

}  // namespace clicktrail::app
