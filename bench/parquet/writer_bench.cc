// parquet_writer_bench: clicktrail's Parquet writer, timed on events already in memory.
//
//   parquet_writer_bench IN.jsonl [--codecs zstd,snappy,none] [--row-group-rows N] [--runs K]
//                        [--out DIR]
//
// Reads IN (stored events, one per line) and decodes every line with event::decode_stored, then
// re-encodes each event to its canonical JSON, which is what the sink hands to append(); none of
// that is timed. Then, for each codec, it writes all events into one Parquet file K times, each
// time through a fresh make_writer() into a fresh std::string (the file's bytes stay in memory,
// as they would on their way to an upload), and times append() of every event plus finish().
// Before each codec's runs, an untimed write of 1,000 events sets the codec up.
// Row groups are cut by --row-group-rows alone (row_group_bytes is set out of reach), so that
// pyarrow's row_group_size can match them.
//
// Prints one JSON object per codec on stdout: rows, bytes, and wall and CPU seconds of each run
// (CPU: CLOCK_PROCESS_CPUTIME_ID, which with this one thread is its thread CPU time). With
// --out, the last run's file is kept as DIR/clicktrail-CODEC.parquet, for a reader to check.
// bench/parquet/run puts these figures beside pyarrow's; see bench/README.md.

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "event/encode.h"
#include "event/event.h"
#include "format/file_writer.h"

namespace {

using namespace clicktrail;

// The events of the input and their canonical JSON, in file order.
struct input {
  std::vector<event::event> events;
  std::vector<std::string> canonical;
  std::int64_t json_bytes = 0;
};

// Reads and decodes every line; a line decode_stored refuses ends the program, naming the line.
input read_input(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CLI::ValidationError("IN", fmt::format("cannot read {}", path));
  input out;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    auto e = event::decode_stored(line);
    if (!e) {
      throw CLI::ValidationError("IN", fmt::format("{}:{}: {}", path, number, e.err().message));
    }
    std::string json;
    event::encode(*e, json);
    out.json_bytes += static_cast<std::int64_t>(json.size());
    out.canonical.push_back(std::move(json));
    out.events.push_back(std::move(*e));
  }
  if (out.events.empty()) throw CLI::ValidationError("IN", fmt::format("{} holds no events", path));
  return out;
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct run {
  double wall_s = 0;
  double cpu_s = 0;
};

// One timed write of the first `rows` events; `file` receives the bytes.
run write_once(const input& in, std::size_t rows, const format::writer_options& options, std::string& file) {
  file = std::string();
  const double cpu0 = cpu_seconds();
  const auto wall0 = std::chrono::steady_clock::now();
  auto writer = format::make_writer(options, [&file](std::string_view bytes) -> base::status {
    file.append(bytes);
    return {};
  });
  for (std::size_t i = 0; i < rows; ++i) {
    if (auto s = writer->append(in.events[i], in.canonical[i]); !s) {
      throw std::runtime_error("append failed: " + s.err().message);
    }
  }
  if (auto s = writer->finish({}); !s) throw std::runtime_error("finish failed: " + s.err().message);
  writer.reset();
  const auto wall1 = std::chrono::steady_clock::now();
  const double cpu1 = cpu_seconds();
  return {std::chrono::duration<double>(wall1 - wall0).count(), cpu1 - cpu0};
}

config::compression parse_codec(std::string_view name) {
  if (name == "zstd") return config::compression::zstd;
  if (name == "snappy") return config::compression::snappy;
  if (name == "gzip") return config::compression::gzip;
  if (name == "none") return config::compression::none;
  throw CLI::ValidationError("--codecs",
                             fmt::format("unknown codec '{}'; use zstd, snappy, gzip or none", name));
}

void save(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw std::runtime_error(fmt::format("cannot write {}", path));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Times clicktrail's Parquet writer on events held in memory; prints JSON per codec"};
  std::string input_path, out_dir;
  std::vector<std::string> codecs{"zstd"};
  std::int64_t row_group_rows = format::writer_options{}.row_group_rows;
  int runs = 5;
  app.add_option("IN", input_path, "Stored events as JSON Lines (what generate.py writes)")->required();
  app.add_option("--codecs", codecs, "zstd, snappy, gzip or none, comma-separated")->delimiter(',');
  app.add_option("--row-group-rows", row_group_rows, "Rows per row group")->check(CLI::Range(1, 1 << 24));
  app.add_option("--runs", runs, "Timed writes per codec")->check(CLI::Range(1, 100));
  app.add_option("--out", out_dir, "Keep the last file of each codec as DIR/clicktrail-CODEC.parquet")
      ->check(CLI::ExistingDirectory);
  CLI11_PARSE(app, argc, argv);

  try {
    std::vector<std::pair<std::string, config::compression>> chosen;
    for (const auto& c : codecs) chosen.emplace_back(c, parse_codec(c));
    const double decode0 = cpu_seconds();
    const input in = read_input(input_path);
    fmt::print(
        stderr,
        "parquet_writer_bench: {} events ({:.0f} bytes each as JSON) read and decoded in {:.1f} s CPU\n",
        in.events.size(), static_cast<double>(in.json_bytes) / static_cast<double>(in.events.size()),
        cpu_seconds() - decode0);

    for (const auto& [name, codec] : chosen) {
      format::writer_options options;
      options.format = config::output_format::parquet;
      options.codec = codec;
      options.row_group_rows = row_group_rows;
      options.row_group_bytes = std::numeric_limits<std::int64_t>::max();
      std::string file;
      // Untimed, as run.py does for pyarrow: the codec's first use sets up what it needs.
      write_once(in, std::min<std::size_t>(1000, in.events.size()), options, file);
      std::vector<double> wall, cpu;
      for (int r = 0; r < runs; ++r) {
        const run t = write_once(in, in.events.size(), options, file);
        wall.push_back(t.wall_s);
        cpu.push_back(t.cpu_s);
      }
      if (!out_dir.empty()) save(fmt::format("{}/clicktrail-{}.parquet", out_dir, name), file);
      fmt::print(
          "{{\"writer\": \"clicktrail\", \"codec\": \"{}\", \"rows\": {}, \"json_bytes\": {}, \"bytes\": {}, "
          "\"row_group_rows\": {}, \"wall_s\": [{:.6f}], \"cpu_s\": [{:.6f}]}}\n",
          name, in.events.size(), in.json_bytes, file.size(), row_group_rows, fmt::join(wall, ", "),
          fmt::join(cpu, ", "));
      std::fflush(stdout);
    }
  } catch (const CLI::Error& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    fmt::print(stderr, "parquet_writer_bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
