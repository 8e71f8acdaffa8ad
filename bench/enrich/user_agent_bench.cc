// user_agent_bench: clicktrail's user-agent parser, timed on user agents held in memory.
//
//   user_agent_bench RULES.yaml UAS.txt [--runs K] [--events N] [--zipf S] [--cache-entries C]
//                    [--seed X] [--dump FILE]
//
// Compiles RULES (uap-core's regexes.yaml) and reads UAS (one user agent a line, the distinct
// ones of a set), then times, K times each (5), on one thread:
//   uncached: parse() of every user agent of UAS once, in file order;
//   cached:   N events (1,000,000) of traffic through a fresh lru_cache<user_agent_fields> of C
//             entries (4,096), the way the enrichment step uses it: find(), and on a miss parse()
//             and insert(). The traffic repeats the user agents with Zipf's law: the user agent
//             of popularity rank r comes with probability ∝ 1/r^S (S = 1), ranks dealt to the
//             user agents in a seeded random order.
// Prints one JSON object per measurement on stdout (and the rules' compile time). With --dump,
// writes every user agent's fields as JSON Lines, in UAS order, for a comparison with a peer.
// bench/enrich/run puts these figures beside ua-parser's; see bench/README.md.

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "base/json_string.h"
#include "bench_input.h"
#include "enrich/lru_cache.h"
#include "enrich/user_agent.h"

namespace {

using namespace clicktrail;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CLI::ValidationError("RULES", fmt::format("cannot read {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

struct timing {
  std::vector<double> wall_s, cpu_s;
};

template <class F>
void time_once(timing& t, F&& work) {
  const double cpu0 = bench::thread_cpu_seconds();
  const auto wall0 = std::chrono::steady_clock::now();
  work();
  t.wall_s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count());
  t.cpu_s.push_back(bench::thread_cpu_seconds() - cpu0);
}

// N indices into `distinct` user agents, Zipf-distributed over ranks dealt in a seeded order.
std::vector<std::uint32_t> zipf_traffic(std::size_t distinct, std::size_t events, double s,
                                        std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint32_t> by_rank(distinct);
  std::iota(by_rank.begin(), by_rank.end(), 0U);
  std::shuffle(by_rank.begin(), by_rank.end(), rng);
  std::vector<double> weights(distinct);
  for (std::size_t r = 0; r < distinct; ++r) weights[r] = 1.0 / std::pow(static_cast<double>(r + 1), s);
  std::discrete_distribution<std::size_t> rank(weights.begin(), weights.end());
  std::vector<std::uint32_t> out(events);
  for (auto& ua : out) ua = by_rank[rank(rng)];
  return out;
}

void append_field(std::string& out, std::string_view name, const std::optional<std::string>& value) {
  out += fmt::format("{}\"{}\": ", out.size() > 1 ? ", " : "", name);
  if (value) {
    base::append_json_string(out, *value);
  } else {
    out += "null";
  }
}

void dump(const std::string& path, const std::vector<std::string>& uas,
          const enrich::user_agent_parser& parser) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& ua : uas) {
    const auto f = parser.parse(ua);
    std::string line = "{";
    append_field(line, "browser", f.browser);
    append_field(line, "browser_version", f.browser_version);
    append_field(line, "os", f.os);
    append_field(line, "os_version", f.os_version);
    append_field(line, "device", f.device);
    append_field(line, "device_brand", f.device_brand);
    append_field(line, "device_model", f.device_model);
    out << line << "}\n";
  }
  if (!out.flush()) throw std::runtime_error(fmt::format("cannot write {}", path));
}

std::string json_list(const std::vector<double>& values) {
  return fmt::format("[{:.6f}]", fmt::join(values, ", "));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Times clicktrail's user-agent parser, uncached and through its LRU cache; prints JSON"};
  std::string rules_path, uas_path, dump_path;
  int runs = 5;
  std::size_t events = 1'000'000, cache_entries = 4096;
  double zipf = 1.0;
  std::uint64_t seed = 1;
  app.add_option("RULES", rules_path, "uap-core's regexes.yaml")->required();
  app.add_option("UAS", uas_path, "User agents, one a line")->required();
  app.add_option("--runs", runs, "Timed runs of each measurement")->check(CLI::Range(1, 100));
  app.add_option("--events", events, "Events of cached traffic")->check(CLI::Range(1, 100'000'000));
  app.add_option("--zipf", zipf, "Zipf exponent S of the traffic")->check(CLI::Range(0.0, 4.0));
  app.add_option("--cache-entries", cache_entries, "Entries of the LRU cache")
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--seed", seed, "Seed of the traffic");
  app.add_option("--dump", dump_path, "Write every user agent's fields here as JSON Lines");
  CLI11_PARSE(app, argc, argv);

  try {
    const std::string rules = read_file(rules_path);
    const std::vector<std::string> uas = bench::read_lines(uas_path);
    timing compile;
    std::optional<enrich::user_agent_parser> parser;
    time_once(compile, [&] {
      auto compiled = enrich::user_agent_parser::compile(rules, rules_path);
      if (!compiled) throw std::runtime_error(compiled.err().message);
      parser.emplace(std::move(compiled).value());
    });
    fmt::print("{{\"what\": \"compile\", \"rules_bytes\": {}, \"wall_s\": {}, \"cpu_s\": {}}}\n",
               rules.size(), json_list(compile.wall_s), json_list(compile.cpu_s));
    if (!dump_path.empty()) dump(dump_path, uas, *parser);

    std::size_t sink = 0;                                                  // keeps the results observable
    for (const auto& ua : uas) sink += parser->parse(ua).browser->size();  // untimed warm-up
    timing uncached;
    for (int r = 0; r < runs; ++r) {
      time_once(uncached, [&] {
        for (const auto& ua : uas) sink += parser->parse(ua).browser->size();
      });
    }
    fmt::print("{{\"what\": \"uncached\", \"uas\": {}, \"wall_s\": {}, \"cpu_s\": {}}}\n", uas.size(),
               json_list(uncached.wall_s), json_list(uncached.cpu_s));
    std::fflush(stdout);

    const auto traffic = zipf_traffic(uas.size(), events, zipf, seed);
    timing cached;
    std::size_t misses = 0;
    for (int r = 0; r < runs; ++r) {
      misses = 0;
      enrich::lru_cache<enrich::user_agent_fields> cache(cache_entries);
      time_once(cached, [&] {
        for (const std::uint32_t i : traffic) {
          const std::string& ua = uas[i];
          const enrich::user_agent_fields* fields = cache.find(ua);
          if (fields == nullptr) {
            ++misses;
            fields = &cache.insert(ua, parser->parse(ua));
          }
          sink += fields->browser->size();
        }
      });
    }
    std::vector<bool> seen(uas.size());
    for (const std::uint32_t i : traffic) seen[i] = true;
    fmt::print(
        "{{\"what\": \"cached\", \"events\": {}, \"distinct_seen\": {}, \"zipf\": {}, \"seed\": {}, "
        "\"cache_entries\": {}, \"misses\": {}, \"wall_s\": {}, \"cpu_s\": {}, \"sink\": {}}}\n",
        events, std::count(seen.begin(), seen.end(), true), zipf, seed, cache_entries, misses,
        json_list(cached.wall_s), json_list(cached.cpu_s), sink);
  } catch (const CLI::Error& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    fmt::print(stderr, "user_agent_bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
