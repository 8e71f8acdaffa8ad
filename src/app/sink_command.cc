// `clicktrail sink`: Kafka → Hive-partitioned files in S3 or a directory, exactly once.
//
// Two sinks run side by side (sink_lanes.h), each with its own consumer in the sinks' group: one
// for the collector's events (kafka.topic), one for its rejected input (kafka.bad_topic), which
// becomes the bad/ table next to the sink's own poison records.

#include <fmt/format.h>
#include <unistd.h>

#include <cstring>

#include "app/commands.h"
#include "app/kafka_source.h"
#include "app/server_options.h"
#include "app/signals.h"
#include "app/sink_lanes.h"
#include "app/startup.h"
#include "base/log.h"
#include "config/config.h"
#include "enrich/sink_enricher.h"
#include "http/ops_routes.h"
#include "http/server.h"
#include "sink/table_compactor.h"
#include "store/open_store.h"

namespace clicktrail::app {
namespace {

// One line, rewritten in place, when stderr is a terminal.
void show_progress(const sink::sink::progress& p, std::chrono::steady_clock::duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const double rate = seconds > 0 ? static_cast<double>(p.records) / seconds : 0;
  const double left = rate > 0 ? static_cast<double>(p.lag) / rate : 0;
  fmt::print(stderr, "\r{} records, {:.0f}/s, lag {}, about {:.0f}s left   ", p.records, rate, p.lag, left);
}

}  // namespace

int sink_run(const config::load_options& sources, bool until_caught_up, bool accept_offset_reset) {
  const auto loaded = start_up(sources, "sink", [](const config::config& c) -> std::optional<std::string> {
    if (c.kafka) return std::nullopt;
    return "clicktrail sink reads Kafka: add [kafka] with brokers = \"host:port\" (or set "
           "CLICKTRAIL_KAFKA_BROKERS)";
  });
  if (!loaded) return exit_bad_config;
  const config::config& cfg = *loaded;
  auto& log = base::logger_for("sink");

  const auto rules = enrich::sink_rules::load(cfg);
  if (!rules) {
    log.error("{}", rules.err().message);
    return exit_bad_config;
  }
  base::registry metrics;
  auto store = store::open_store(cfg.sink.output, cfg.s3, metrics);
  if (!store) {
    log.error("cannot open the output {}: {}", cfg.sink.output_text, store.err().message);
    return exit_bad_config;
  }
  sink_lanes lanes;
  if (auto s = add_kafka_lanes(lanes, cfg, **store, metrics, accept_offset_reset, *rules); !s) {
    log.error("{}", s.err().message);
    return exit_bad_config;
  }
  std::optional<http::server> ops;
  if (cfg.sink.listen) {
    http::router routes;
    http::add_ops_routes(routes, metrics, [&lanes, &store = **store] { return lanes.not_ready(store); });
    ops.emplace(sink_server_options_from(cfg), std::move(routes), metrics);
    if (!start_server(*ops)) return exit_failure;
  }
  log.info("sinking topics={},{} group={} output={} metrics={}", cfg.kafka->topic, cfg.kafka->bad_topic,
           cfg.sink.group_id, (*store)->describe(),
           ops ? fmt::format("http://{}:{}/metrics", cfg.sink.listen->host, ops->local_port()) : "off");

  // Background compaction while the sink runs for good (a catch-up run ends before it would matter).
  std::optional<sink::table_compactor> compactor;
  if (cfg.sink.compact_every.count() > 0 && !until_caught_up) {
    table::compaction_options with;
    with.codec = cfg.sink.codec;
    with.compression_level = cfg.sink.compression_level;
    compactor.emplace(**store, sink::options_from(cfg.sink).catalog, with, cfg.sink.compact_every, metrics);
    log.info("compacting the table every {} s", cfg.sink.compact_every.count() / 1000);
  }
  const auto started = std::chrono::steady_clock::now();
  lanes.start(until_caught_up ? sink::sink::mode::until_caught_up : sink::sink::mode::forever);
  const bool terminal = isatty(STDERR_FILENO) == 1;
  bool stopping = false;
  // The lanes are looked at every 50 ms, so that --until-caught-up ends when its work does (at
  // 500 ms, every catch-up run took up to half a second more than its work); the progress line
  // is redrawn twice a second.
  constexpr auto look_every = std::chrono::milliseconds(50);
  auto shown_at = started;
  while (!lanes.all_finished()) {
    if (const int signal = wait_for_stop_signal(look_every); signal != 0 && !stopping) {
      log.info("stopping signal={}", strsignal(signal));
      stopping = true;
    }
    if (stopping || lanes.any_failed()) {
      lanes.stop();
      if (compactor) compactor->stop();  // no new round while the lanes finish
    }
    const auto now = std::chrono::steady_clock::now();
    if (until_caught_up && terminal && now - shown_at >= std::chrono::milliseconds(500)) {
      show_progress(lanes.progress(), now - started);
      shown_at = now;
    }
  }
  const bool ok = lanes.finish();
  if (until_caught_up && terminal) fmt::print(stderr, "\n");
  if (!ok) return exit_failure;
  log.info("stopped records={}", lanes.progress().records);
  return exit_ok;
}

}  // namespace clicktrail::app
