#pragma once
// Reads the configuration sources — defaults, the TOML file, the environment, command-line
// flags, in rising precedence — into typed values checked against the settings table. Every
// problem found is reported, each naming its origin (file:line:column, variable or flag), the
// key, and the fix. Cross-key rules come after, in config.cc.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/result.h"
#include "config/setting.h"

namespace clicktrail::config {

using value = std::variant<std::string, std::int64_t, bool, std::vector<std::string>>;

struct entry {
  value v;
  std::string origin;  // "clicktrail.toml:12:9", "CLICKTRAIL_KAFKA_BROKERS", "--listen", "default"
};

using table_values = std::map<std::string, entry, std::less<>>;  // key → value, within a section

struct raw_config {
  table_values values;              // "section.key" → value, for the plain sections
  std::vector<table_values> sites;  // one per [[sites]] table
  std::map<std::string, std::map<std::string, std::string>, std::less<>>
      passthrough;                              // "kafka.producer" → properties
  std::set<std::string, std::less<>> sections;  // sections present in any source ([kafka] turns Kafka on)
};

// A flag given on the command line, e.g. {"http.listen", "0.0.0.0:80", "--listen"}.
struct flag_override {
  std::string setting;
  std::string text;
  std::string flag;
};

struct load_options {
  std::optional<std::filesystem::path> file;
  // NAME=value pairs; the app passes the process environment, tests pass their own.
  std::vector<std::pair<std::string, std::string>> environment;
  std::vector<flag_override> flags;
};

// All problems are joined into one message, one per line.
base::result<raw_config> read_sources(const load_options& options);

// The process environment as NAME=value pairs, for load_options::environment.
std::vector<std::pair<std::string, std::string>> process_environment();

}  // namespace clicktrail::config
