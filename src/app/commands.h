#pragma once
// One function per subcommand of the `clicktrail` binary; main.cc parses the command line with
// CLI11 and calls one of them. Each returns the process exit code.

#include <optional>
#include <string>
#include <vector>

#include "config/sources.h"
#include "format/file_writer.h"

namespace clicktrail::app {

// Exit codes shared by every subcommand.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;      // a runtime failure, logged
inline constexpr int exit_bad_config = 2;   // the configuration or the command line is wrong
inline constexpr int exit_unavailable = 3;  // the subcommand is not built into this version yet

// The sources every config-reading subcommand combines: --config FILE, the environment, flags.
config::load_options config_sources(const std::optional<std::string>& file,
                                    std::vector<config::flag_override> flags = {});

int config_check(const std::string& file);
int config_docs();

// accept_offset_reset: --accept-offset-reset (sink::sink_options says what it does).
int run(const config::load_options& sources, bool accept_offset_reset);
int collect(const config::load_options& sources);
int sink_run(const config::load_options& sources, bool until_caught_up, bool accept_offset_reset);
int lambda_runtime(const config::load_options& sources);

struct convert_options {
  std::string input, output;
  format::writer_options writer;
};
int convert(const convert_options& options);
int inspect(const std::string& path, std::size_t rows);

// Subcommands whose modules have not landed yet: they check their configuration, then say
// which part is missing and exit with exit_unavailable.
int not_yet_available(const std::string& command, const std::string& what,
                      const std::optional<config::load_options>& sources);

}  // namespace clicktrail::app
