#pragma once
// What both enrich benchmarks need: the user agents file, one a line, and the CPU time of the
// calling thread (the machines are shared and noisy; CPU time is what a run's work costs).

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <time.h>

#include <fstream>
#include <string>
#include <vector>

namespace clicktrail::bench {

inline std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CLI::ValidationError("UAS", fmt::format("cannot read {}", path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
  if (lines.empty()) throw CLI::ValidationError("UAS", fmt::format("{} holds no user agents", path));
  return lines;
}

inline double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace clicktrail::bench
