// `clicktrail run`: the embedded default — collector, durable log and sink in one process, with
// the demo site, the tracker and the live inspector. Without [kafka] the log is the embedded one
// (wal/) in wal.dir; with [kafka] it is Kafka, and the process is a collector and a sink at once.
//
// Start: open the logs (recovering them), the store, the sinks, then the server. Stop (SIGTERM,
// SIGINT): stop accepting and finish requests in flight, then let the sinks write out and commit
// what they read, then close the logs.

#include <fmt/format.h>

#include <csignal>
#include <cstring>

#include "app/commands.h"
#include "app/inspect_feed.h"
#include "app/kafka_event_log.h"
#include "app/kafka_source.h"
#include "app/server_options.h"
#include "app/signals.h"
#include "app/sink_lanes.h"
#include "app/startup.h"
#include "app/wal_event_log.h"
#include "app/wal_source.h"
#include "app/web_routes.h"
#include "base/log.h"
#include "config/config.h"
#include "enrich/collector_enricher.h"
#include "enrich/sink_enricher.h"
#include "http/ingest_routes.h"
#include "http/ops_routes.h"
#include "http/server.h"
#include "ingest/pipeline.h"
#include "sink/partition_claim.h"
#include "store/open_store.h"
#include "wal/log.h"

namespace clicktrail::app {
namespace {

// Without [[sites]], the demo site's key is accepted from any origin: a local try-out needs no
// configuration. A real site lists its own key and origins.
void add_demo_site(config::config& c, spdlog::logger& log) {
  if (!c.sites.empty()) return;
  config::site_config& demo = c.sites.emplace_back();
  demo.key = "demo";
  demo.any_origin = true;
  log.info(
      "no [[sites]] configured: accepting site key \"demo\" from any origin; add [[sites]] to choose keys "
      "and origins");
}

// The embedded log: two logs (events, rejected input) and their sinks' offset files.
struct embedded {
  std::unique_ptr<wal::log> events, bad;
  std::unique_ptr<wal_event_log> event_log;
};

std::string offset_path(const config::config& c, std::string_view lane) {
  return fmt::format("{}/{}.offset", c.wal.dir, lane);
}

// A log opens knowing where its sink has committed — the intent object in the output is the
// commit record, the offset file follows it — so that its offsets never fall below that: records
// the sink wrote out and the log lost since (a data directory restored from an old copy, or a new
// one) leave their offsets unused rather than handing them to new records. An offset file behind
// the intent is brought up to it.
base::result<std::unique_ptr<wal::log>> open_log(const config::config& c, store::object_store& output,
                                                 const char* name, const char* lane,
                                                 base::registry& metrics) {
  const wal::offset_file offsets(offset_path(c, lane));
  auto in_file = offsets.load();
  if (!in_file) return std::move(in_file).err();
  auto in_intent = sink::partition_claim::committed_in(output, lane, 0);
  if (!in_intent) return std::move(in_intent).err();
  auto log = wal::log::open({.dir = c.wal.dir + "/" + name,
                             .segment_bytes = c.wal.segment_bytes,
                             .retention = c.wal.retention,
                             .continue_from = std::max(in_file->value_or(0), *in_intent)},
                            name, metrics);
  if (log && *in_intent > in_file->value_or(0)) {
    if (auto s = offsets.store(*in_intent); !s) return std::move(s).err();
  }
  return log;
}

base::result<embedded> open_embedded(const config::config& c, store::object_store& output,
                                     base::registry& metrics) {
  embedded e;
  auto events = open_log(c, output, "events", "wal", metrics);
  if (!events) return std::move(events).err();
  auto bad = open_log(c, output, "bad", "wal.bad", metrics);
  if (!bad) return std::move(bad).err();
  e.events = std::move(events).value();
  e.bad = std::move(bad).value();
  e.event_log = std::make_unique<wal_event_log>(*e.events, *e.bad);
  return e;
}

base::status add_embedded_lanes(sink_lanes& lanes, const config::config& c, embedded& e,
                                store::object_store& store, base::registry& metrics, bool accept_offset_reset,
                                const std::shared_ptr<const enrich::sink_rules>& enrichment) {
  struct lane_spec {
    wal::log& log;
    const char* name;
    sink::input_kind input;
  };
  for (const auto& spec : {lane_spec{*e.events, "wal", sink::input_kind::events},
                           lane_spec{*e.bad, "wal.bad", sink::input_kind::rejected}}) {
    auto source = std::make_unique<wal_source>(spec.log, offset_path(c, spec.name), spec.name);
    wal_source& raw = *source;
    auto options = sink::options_from(c.sink);
    options.input = spec.input;
    options.accept_offset_reset = accept_offset_reset;
    if (spec.input == sink::input_kind::events) options.enrichment = enrichment;
    auto s = lanes.add(
        std::move(source),
        [&raw](sink::sink& listener) {
          raw.attach(listener);
          return base::status{};
        },
        {}, store, options, metrics);
    if (!s) return s;
  }
  return {};
}

std::string query_hint(const config::config& c) {
  if (c.sink.output.where != config::output_location::kind::local ||
      c.sink.format != config::output_format::parquet) {
    return "";
  }
  if (c.sink.table == config::table_kind::iceberg) {
    return fmt::format(
        "; they are an Iceberg table at {}: read it with pyiceberg, Spark, Trino or DuckDB's "
        "iceberg extension (docs/iceberg.md)",
        c.sink.output.path);
  }
  return fmt::format(
      "; query them: duckdb -c \"SELECT type, count(*) FROM read_parquet('{}/events/**/*.parquet', "
      "hive_partitioning=true) GROUP BY type\"",
      c.sink.output.path);
}

}  // namespace

int run(const config::load_options& sources, bool accept_offset_reset) {
  const auto loaded = start_up(sources, "run");
  if (!loaded) return exit_bad_config;
  config::config cfg = *loaded;
  auto& log = base::logger_for("run");
  add_demo_site(cfg, log);

  // Enrichment's rules and databases first: a file that cannot be read stops start-up at once.
  auto enricher = enrich::collector_enricher::open(cfg.enrich, cfg.sites);
  if (!enricher) {
    log.error("{}", enricher.err().message);
    return exit_bad_config;
  }
  const auto ingest_routes = ingest::ingest_routes(cfg);
  if (!ingest_routes) {
    log.error("{}", ingest_routes.err().message);
    return exit_bad_config;
  }
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

  // The log events are made durable in, and the sinks that read it.
  std::optional<embedded> wal;
  std::unique_ptr<kafka_event_log> kafka_log;
  sink_lanes lanes;
  if (cfg.kafka) {
    auto producer = kafka::producer::create(producer_options_from(cfg), metrics);
    if (!producer) {
      log.error("cannot create the Kafka producer: {}", producer.err().message);
      return exit_bad_config;
    }
    kafka_log = std::make_unique<kafka_event_log>(std::move(producer).value(), cfg.kafka->topic,
                                                  cfg.kafka->bad_topic);
    if (auto s = add_kafka_lanes(lanes, cfg, **store, metrics, accept_offset_reset, *rules); !s) {
      log.error("{}", s.err().message);
      return exit_bad_config;
    }
  } else {
    auto opened = open_embedded(cfg, **store, metrics);
    if (!opened) {
      log.error("cannot open the embedded log in {}: {}", cfg.wal.dir, opened.err().message);
      return exit_failure;
    }
    wal.emplace(std::move(opened).value());
    if (auto s = add_embedded_lanes(lanes, cfg, *wal, **store, metrics, accept_offset_reset, *rules); !s) {
      log.error("{}", s.err().message);
      return exit_failure;
    }
  }
  ingest::event_log& durable = kafka_log ? static_cast<ingest::event_log&>(*kafka_log) : *wal->event_log;
  inspect_feed feed(durable, static_cast<std::size_t>(cfg.http.inspect_max_streams),
                    cfg.http.inspect_stream_timeout);
  ingest::pipeline pipeline(cfg.ingest, cfg.sites, *enricher, feed, metrics, cfg.snowplow, cfg.segment,
                            cfg.identity);

  http::readiness_watch readiness(
      [&feed, &lanes, &store = **store]() -> std::optional<std::string> {
        if (!feed.ready(readiness_timeout)) return "the event log cannot be reached; see the logs";
        return lanes.not_ready(store);
      },
      readiness_interval);
  http::router routes;
  http::add_health_routes(routes, [&readiness] { return readiness.not_ready(); });
  // The inspector and /metrics: on a loopback http.listen as they are (the one-address
  // experience), behind http.admin_token on a public one, and on http.admin_listen.
  const auto on_main = http::operator_guard(cfg.http.listen.host, cfg.http.admin_token);
  if (on_main) {
    http::add_metrics_route(routes, metrics, *on_main);
    add_inspect_routes(routes, feed, *on_main);
  }
  http::add_ingest_routes(routes, pipeline, *ingest_routes);
  add_web_routes(routes, cfg.http.tracker_path);
  http::server server(server_options_from(cfg), std::move(routes), metrics);
  const ingest::settle_on_exit settle(feed);  // the log's last callbacks reach the pipeline and the feed
  std::unique_ptr<http::server> admin;
  const auto add_operator_routes = [&](http::router& r) {
    http::add_metrics_route(r, metrics, http::unguarded());
    add_inspect_routes(r, feed, http::unguarded());
  };
  lanes.start(sink::sink::mode::forever);
  if (!start_server(server) || !start_admin_server(cfg, metrics, add_operator_routes, admin)) {
    lanes.stop();
    lanes.finish();
    return exit_failure;
  }
  std::string inspector = "/inspect";
  if (admin) {
    inspector = fmt::format("http://{}:{}/inspect", cfg.http.admin_listen->host, admin->local_port());
  } else if (!on_main) {
    inspector = "no inspector (set http.admin_token or http.admin_listen)";
    log.warn(
        "the inspector and /metrics are not served on http.listen {}: it is not a loopback address, and "
        "they show every visitor's events; set http.admin_token (then open /inspect?token=…) or "
        "http.admin_listen",
        cfg.http.listen.to_string());
  } else if (!http::is_loopback(cfg.http.listen.host)) {
    inspector = "/inspect?token=<http.admin_token>";
  }
  log.info("clicktrail run: open http://{}:{}/ — live events at {}; files in {} (as {}, each within {}s){}",
           cfg.http.listen.host, server.local_port(), inspector, (*store)->describe(),
           cfg.sink.format == config::output_format::parquet ? "Parquet" : "JSON Lines",
           std::chrono::duration_cast<std::chrono::seconds>(cfg.sink.max_age).count(), query_hint(cfg));

  int signal = 0;
  while (signal == 0 && !lanes.any_failed()) signal = wait_for_stop_signal(std::chrono::milliseconds(500));
  if (signal != 0) log.info("stopping signal={} in_flight={}", strsignal(signal), server.in_flight());
  // Requests in flight wait at most produce_timeout for durability; give them that.
  server.stop(cfg.ingest.produce_timeout + std::chrono::seconds(1));
  feed.close();
  if (kafka_log) {
    if (auto s = kafka_log->producer().flush(cfg.ingest.produce_timeout); !s) {
      log.warn("records left unflushed at exit error=\"{}\"", s.err().message);
    }
  }
  // Kafka keeps what the sinks have not read yet; the embedded log is drained, so that every
  // acknowledged event is in the files when the process ends.
  if (wal && !lanes.any_failed()) {
    lanes.drain_and_stop();
  } else {
    lanes.stop();
  }
  const bool ok = lanes.finish();
  log.info("stopped records={}", lanes.progress().records);
  return ok && signal != 0 ? exit_ok : exit_failure;
}

}  // namespace clicktrail::app
