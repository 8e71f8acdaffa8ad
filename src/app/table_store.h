#pragma once
// What the commands that work on an Iceberg table at sink.output share (`clicktrail iceberg`,
// `clicktrail compact`): its configuration and store, and pointing the Glue table at it.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/metrics.h"
#include "config/config.h"
#include "config/sources.h"
#include "store/object_store.h"
#include "table/iceberg_table.h"

namespace clicktrail::app {

struct table_store {
  config::config cfg;
  std::unique_ptr<store::object_store> store;
};
// The configuration and the store at sink.output (--table), or nullopt with the problem printed
// and `exit` set to the code to return. `refuse` may turn the configuration down before the store
// is opened (which creates a local output's directory): it returns why, or nothing.
using config_refusal = std::function<std::optional<std::string>(const config::config&)>;
std::optional<table_store> open_table_store(const config::load_options& sources, std::string_view command,
                                            base::registry& metrics, int& exit,
                                            const config_refusal& refuse = {});

// After a command's commits to `table`: points sink.glue_table (when set) at its current version,
// as the sink does after each commit. Prints what fails; returns whether it succeeded.
bool publish_to_glue(const config::config& cfg, const table::iceberg_table& table);

}  // namespace clicktrail::app
