// enrich_cost_bench: what enrichment adds to the sink's and the collector's CPU per event.
//
//   enrich_cost_bench UAS.txt [--geo-dir DIR] [--runs K] [--events N] [--zipf S] [--seed X]
//
// UAS holds user agents, one a line (bench/enrich/run gives it the mainstream browsers of
// uap-core's test suites). N events (200,000) are made up the way a shop's traffic looks: page
// views and some clicks, a fifth of page URLs with utm parameters or an ad click id, referrers
// from search engines, social sites, the site itself or none, user agents drawn by Zipf's law
// (rank r with probability ∝ 1/r^S, S = 1, ranks dealt in a seeded order). Each is
// event::encode'd into the canonical line the collector writes to the log.
//
// Sink, for Parquet (the configured default codec), JSON Lines and JSON Lines gzip: what
// sink::router::route and the file writer do per record (src/sink/router.cc), timed over the N
// lines into one writer whose bytes are discarded, finish() included:
//   before: decode_stored(line), the line copied, writer.append;
//   after:  the same with the router's enrichment (rules from sink_rules::load of the default
//           config), and for JSON Lines its line: the sink's fields appended to the record;
//           "cold" with a fresh enricher each run (an empty cache, as after a restart: every
//           distinct user agent a miss), "warm" with one whose cache has seen the traffic.
// Also sink_enricher::apply alone (warm), on copies of decoded events, against the copies alone.
// Collector: per request of one event, collector_enricher::facts() + apply() on a copy of the
// tracker's event, against the copy alone; with no geo database, with DIR/city.mmdb and
// DIR/asn.mmdb (tests/data/geo/make_test_mmdb.py writes them), and with those plus a cookieless
// site that pseudonymises user_id.
// Times are CPU seconds of this thread (CLOCK_THREAD_CPUTIME_ID), K runs each (5), before and
// after interleaved; one JSON object per measurement on stdout. bench/enrich/run reports them.

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <time.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bench_input.h"
#include "config/config.h"
#include "enrich/collector_enricher.h"
#include "enrich/sink_enricher.h"
#include "event/encode.h"
#include "format/file_writer.h"
#include "sink/router.h"

namespace {

using namespace clicktrail;

template <class F>
double cpu_of(F&& work) {
  const double start = bench::thread_cpu_seconds();
  work();
  return bench::thread_cpu_seconds() - start;
}

std::string json_list(const std::vector<double>& values) {
  return fmt::format("[{:.6f}]", fmt::join(values, ", "));
}

template <class T>
T must(base::result<T> r) {
  if (!r) throw std::runtime_error(r.err().message);
  return std::move(r).value();
}

std::string uuid(std::mt19937_64& rng) {
  const std::uint64_t a = rng(), b = rng();
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                     0x8000 | (b >> 48 & 0x3fff), b & 0xffffffffffffULL);
}

// Weighted choice among a few kinds, by a uniform draw in [0, 100).
int pick(std::mt19937_64& rng, std::initializer_list<int> percents) {
  int draw = static_cast<int>(rng() % 100), kind = 0;
  for (const int p : percents) {
    if (draw < p) return kind;
    draw -= p;
    ++kind;
  }
  return kind;
}

// The tracker's events, as the collector receives them (before stamp and enrichment).
std::vector<event::event> make_events(const std::vector<std::string>& uas, std::size_t n, double zipf,
                                      std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint32_t> by_rank(uas.size());
  std::iota(by_rank.begin(), by_rank.end(), 0U);
  std::shuffle(by_rank.begin(), by_rank.end(), rng);
  std::vector<double> weights(uas.size());
  for (std::size_t r = 0; r < weights.size(); ++r)
    weights[r] = 1.0 / std::pow(static_cast<double>(r + 1), zipf);
  std::discrete_distribution<std::size_t> rank(weights.begin(), weights.end());

  static constexpr std::string_view paths[] = {
      "/",      "/shoes/running", "/shoes/running/pegasus-41", "/cart", "/blog/how-to-choose-running-shoes",
      "/search"};
  static constexpr std::string_view referrers[] = {"https://www.google.com/",
                                                   "https://www.bing.com/search?q=running+shoes&form=QBLH",
                                                   "https://duckduckgo.com/",
                                                   "https://www.facebook.com/",
                                                   "https://t.co/x3kD9aPq",
                                                   "https://news.ycombinator.com/item?id=40000000",
                                                   "https://shop.example/shoes/running"};
  std::vector<event::event> out(n);
  const std::int64_t t0 = 1'735'689'600'000;  // 2025-01-01
  for (std::size_t i = 0; i < n; ++i) {
    event::event& e = out[i];
    e.event_id = uuid(rng);
    e.site = "shop";
    e.client_ts = t0 + static_cast<std::int64_t>(i) * 50;
    e.sent_ts = *e.client_ts + 20;
    e.collector_ts = *e.client_ts + 35;
    e.event_ts = e.collector_ts;
    e.anonymous_id = uuid(rng);
    e.session_id = uuid(rng);
    const std::string_view path = paths[rng() % std::size(paths)];
    e.page_path = std::string(path);
    e.page_title = fmt::format("Shop — {}", path);
    std::string url = fmt::format("https://shop.example{}", path);
    switch (pick(rng, {70, 12, 8, 5, 4})) {
      case 1:
        url += "?utm_source=newsletter&utm_medium=email&utm_campaign=spring_sale";
        e.utm_source = "newsletter", e.utm_medium = "email", e.utm_campaign = "spring_sale";
        break;
      case 2:
        url += "?utm_source=google&utm_medium=cpc&utm_campaign=shoes&gclid=Cj0KCQiA2eKtBhDcARIsAEGTG40";
        e.utm_source = "google", e.utm_medium = "cpc", e.utm_campaign = "shoes";
        break;
      case 3:
        url += "?fbclid=IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB_GFBrUqHjN";
        break;
      case 4:
        url += "?q=trail+shoes&page=2";
        break;
      default:
        url += (rng() % 100 == 0) ? "?token=3f9a0c1e&ref=mail" : "";
        break;  // now and then a secret
    }
    e.page_url = std::move(url);
    if (const int r = pick(rng, {40}); r == 1)
      e.referrer = std::string(referrers[rng() % std::size(referrers)]);
    if (rng() % 100 < 15) {
      e.type = "click";
      e.target_tag = "a";
      e.target_text = "Add to cart";
      e.target_href = "https://shop.example/cart?add=pegasus-41";
      e.target_selector = "main > div.product > a.buy";
      e.x = 412, e.y = 930;
    } else {
      e.type = "page_view";
      e.scroll_depth = static_cast<std::int32_t>(rng() % 101);
    }
    e.viewport_w = 1280, e.viewport_h = 720, e.screen_w = 1920, e.screen_h = 1080;
    e.locale = "en-GB";
    e.timezone = "Europe/London";
    e.ua = uas[by_rank[rank(rng)]];
    if (rng() % 10 == 0) e.user_id = fmt::format("customer-{}", rng() % 50'000);
  }
  return out;
}

// A consumed record as the source hands it to the router.
class bench_record final : public sink::source_record {
 public:
  explicit bench_record(std::string_view value) : value_(value) {}
  std::int32_t partition() const override { return 0; }
  std::int64_t offset() const override { return 0; }
  std::optional<std::string_view> value() const override { return value_; }
  std::int64_t timestamp_ms() const override { return 0; }

 private:
  std::string_view value_;
};

// The sink: the router (decode, enrich when the options say so, the line for JSON Lines: the
// sink's own code) and the file writer's append for every line, into one writer whose bytes go
// nowhere.
double sink_pass(const std::vector<std::string>& lines, const format::writer_options& options,
                 sink::router& router, std::int64_t& bytes_out) {
  std::int64_t bytes = 0;
  const double cpu = cpu_of([&] {
    auto writer = format::make_writer(options, [&bytes](std::string_view b) {
      bytes += static_cast<std::int64_t>(b.size());
      return base::status{};
    });
    for (const std::string& value : lines) {
      sink::routed_record r = router.route(bench_record(value));
      if (r.to != sink::table::events) throw std::runtime_error("not an event: " + r.line);
      if (r.dropped) continue;
      if (auto s = writer->append(r.e, r.text()); !s) throw std::runtime_error("append: " + s.err().message);
    }
    if (auto s = writer->finish({}); !s) throw std::runtime_error("finish: " + s.err().message);
  });
  bytes_out = bytes;
  return cpu;
}

void sink_side(const config::config& cfg, const std::vector<event::event>& tracker_events, int runs) {
  auto rules = must(enrich::sink_rules::load(cfg));
  // What the collector stored: stamped (address anonymised, geo of it) and encoded.
  std::vector<std::string> lines;
  lines.reserve(tracker_events.size());
  for (event::event e : tracker_events) {
    e.ip = "192.0.2.0";
    e.geo_country = "GB", e.geo_region = "England", e.geo_city = "London";
    e.geo_asn = 64496, e.geo_asn_org = "Example Transit Ltd";
    event::encode(e, lines.emplace_back());
  }
  std::size_t line_bytes = 0;
  for (const auto& l : lines) line_bytes += l.size();

  {  // sink_enricher::apply alone, on decoded events with a warm cache: the enrichment itself
    std::vector<event::event> decoded;
    decoded.reserve(lines.size());
    for (const auto& l : lines) decoded.push_back(must(event::decode_stored(l)));
    enrich::sink_enricher enricher(rules);
    std::vector<double> copy, apply;
    std::size_t sink = 0;
    for (int r = 0; r <= runs; ++r) {  // the first run warms the cache, untimed
      const double c = cpu_of([&] {
        for (const auto& d : decoded) {
          event::event e = d;
          sink += e.site.size();
        }
      });
      const double a = cpu_of([&] {
        for (const auto& d : decoded) {
          event::event e = d;
          sink += enricher.apply(e) == enrich::sink_enricher::verdict::keep ? e.site.size() : 0;
        }
      });
      if (r > 0) copy.push_back(c), apply.push_back(a);
    }
    fmt::print(
        "{{\"what\": \"sink_apply\", \"events\": {}, \"copy_cpu_s\": {}, \"apply_cpu_s\": {}, "
        "\"sink\": {}}}\n",
        decoded.size(), json_list(copy), json_list(apply), sink);
  }

  struct target {
    const char* name;
    config::output_format format;
    config::compression codec;
  };
  const target targets[] = {{"parquet", config::output_format::parquet, cfg.sink.codec},
                            {"jsonl", config::output_format::jsonl, config::compression::none},
                            {"jsonl.gz", config::output_format::jsonl, config::compression::gzip}};
  for (const target& t : targets) {
    format::writer_options options;
    options.format = t.format;
    options.codec = t.codec;
    options.row_group_rows = cfg.sink.row_group_rows;
    options.row_group_bytes = cfg.sink.row_group_bytes;
    std::vector<double> before, cold, warm;
    std::int64_t bytes_before = 0, bytes_after = 0;
    std::uint64_t cold_misses = 0;
    sink::sink_options plain;
    plain.format = t.format;
    plain.codec = t.codec;
    sink::sink_options enriched = plain;
    enriched.enrichment = rules;
    // Warm: one router for every run, whose cache has seen the traffic once (untimed, with the
    // warm-up of the path without enrichment).
    sink::router without(plain, "bench");
    sink::router warm_router(enriched, "bench");
    sink_pass(lines, options, without, bytes_before);
    sink_pass(lines, options, warm_router, bytes_after);
    const std::uint64_t warm_misses_before = warm_router.cache_misses();
    for (int r = 0; r < runs; ++r) {
      before.push_back(sink_pass(lines, options, without, bytes_before));
      sink::router cold_router(enriched, "bench");  // cold: an empty cache, as after a restart
      cold.push_back(sink_pass(lines, options, cold_router, bytes_after));
      cold_misses = cold_router.cache_misses();
      warm.push_back(sink_pass(lines, options, warm_router, bytes_after));
    }
    fmt::print(
        "{{\"what\": \"sink\", \"format\": \"{}\", \"events\": {}, \"line_bytes\": {}, \"cache_entries\": "
        "{}, "
        "\"cold_misses\": {}, \"warm_misses\": {}, \"bytes_before\": {}, \"bytes_after\": {}, "
        "\"before_cpu_s\": {}, \"cold_cpu_s\": {}, \"warm_cpu_s\": {}}}\n",
        t.name, lines.size(), line_bytes, rules->cache_entries, cold_misses,
        (warm_router.cache_misses() - warm_misses_before) / static_cast<std::uint64_t>(runs), bytes_before,
        bytes_after, json_list(before), json_list(cold), json_list(warm));
    std::fflush(stdout);
  }
}

void collector_side(config::config cfg, const std::vector<event::event>& tracker_events,
                    const std::string& geo_dir, int runs) {
  // Client addresses: in the test databases' networks and outside them, IPv4, IPv4-mapped, IPv6.
  static const std::vector<std::string> addresses = {
      "192.0.2.10",    "::ffff:192.0.2.77", "198.51.100.7", "203.0.113.5",     "203.0.113.200",
      "2001:db8:1::1", "2001:db8:2::9",     "81.2.69.160",  "2a02:c7f:1234::1"};
  config::site_config plain;
  plain.key = "shop";
  config::site_config cookieless = plain;
  cookieless.cookieless = true;
  cookieless.pseudonymize_user_id = true;

  struct variant {
    const char* name;
    bool geo;
    const config::site_config* site;
  };
  const variant variants[] = {{"no geo db", false, &plain},
                              {"test geo db", true, &plain},
                              {"test geo db, cookieless, pseudonymised user_id", true, &cookieless}};
  cfg.enrich.secret = std::string(64, 'k');
  cfg.sites = {plain};

  auto copy_only = [&] {
    std::size_t sink = 0;
    for (const auto& tracker : tracker_events) {
      event::event e = tracker;
      sink += e.page_url->size();
    }
    return sink;
  };
  std::vector<double> none;
  std::vector<std::vector<double>> timed(std::size(variants));
  std::vector<std::optional<enrich::collector_enricher>> enrichers;
  for (const variant& v : variants) {
    config::enrich_config ec = cfg.enrich;
    if (v.geo) ec.geoip_db = geo_dir + "/city.mmdb", ec.asn_db = geo_dir + "/asn.mmdb";
    enrichers.emplace_back(must(enrich::collector_enricher::open(ec, cfg.sites)));
  }
  std::size_t sink = copy_only();  // warm-up
  for (int r = 0; r < runs; ++r) {
    none.push_back(cpu_of([&] { sink += copy_only(); }));
    for (std::size_t k = 0; k < std::size(variants); ++k) {
      const auto& enricher = *enrichers[k];
      const config::site_config& site = *variants[k].site;
      timed[k].push_back(cpu_of([&] {
        std::size_t i = 0;
        for (const auto& tracker : tracker_events) {
          event::event e = tracker;
          const auto facts = enricher.facts(site, addresses[i++ % addresses.size()], *e.ua, e.collector_ts);
          enricher.apply(e, site, facts);
          sink += e.page_url->size();
        }
      }));
    }
  }
  fmt::print(
      "{{\"what\": \"collector\", \"variant\": \"nothing (the event's copy)\", \"requests\": {}, "
      "\"cpu_s\": {}, \"sink\": {}}}\n",
      tracker_events.size(), json_list(none), sink);
  for (std::size_t k = 0; k < std::size(variants); ++k) {
    fmt::print("{{\"what\": \"collector\", \"variant\": \"{}\", \"requests\": {}, \"cpu_s\": {}}}\n",
               variants[k].name, tracker_events.size(), json_list(timed[k]));
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Times the sink's and the collector's CPU per event with and without enrichment; prints JSON"};
  std::string uas_path, geo_dir;
  int runs = 5;
  std::size_t events = 200'000;
  double zipf = 1.0;
  std::uint64_t seed = 1;
  app.add_option("UAS", uas_path, "User agents, one a line")->required();
  app.add_option("--geo-dir", geo_dir, "A folder with city.mmdb and asn.mmdb (make_test_mmdb.py)");
  app.add_option("--runs", runs, "Timed runs of each measurement")->check(CLI::Range(1, 100));
  app.add_option("--events", events, "Events")->check(CLI::Range(1, 10'000'000));
  app.add_option("--zipf", zipf, "Zipf exponent S of the user agents")->check(CLI::Range(0.0, 4.0));
  app.add_option("--seed", seed, "Seed of the events");
  CLI11_PARSE(app, argc, argv);

  try {
    const auto cfg = must(config::load_config({}));  // every default
    const auto tracker_events = make_events(bench::read_lines(uas_path), events, zipf, seed);
    sink_side(cfg, tracker_events, runs);
    if (!geo_dir.empty()) collector_side(cfg, tracker_events, geo_dir, runs);
  } catch (const CLI::Error& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    fmt::print(stderr, "enrich_cost_bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
