// `clicktrail collect`: the HTTP collector. Events in, durable in Kafka, 2xx only once they are.

#include <fmt/format.h>

#include <cstring>

#include "app/commands.h"
#include "app/kafka_event_log.h"
#include "app/server_options.h"
#include "app/signals.h"
#include "app/startup.h"
#include "base/log.h"
#include "config/config.h"
#include "enrich/collector_enricher.h"
#include "http/ingest_routes.h"
#include "http/ops_routes.h"
#include "http/server.h"
#include "ingest/pipeline.h"

namespace clicktrail::app {
namespace {

std::optional<std::string> missing_for_collect(const config::config& c) {
  if (!c.kafka)
    return "clicktrail collect needs Kafka: add [kafka] with brokers = \"host:port\" (or set "
           "CLICKTRAIL_KAFKA_BROKERS)";
  if (c.sites.empty())
    return "clicktrail collect needs at least one [[sites]] table with a key and its origins";
  return std::nullopt;
}

}  // namespace

int collect(const config::load_options& sources) {
  const auto loaded = start_up(sources, "collect", missing_for_collect);
  if (!loaded) return exit_bad_config;
  const config::config& cfg = *loaded;
  auto& log = base::logger_for("collect");

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
  base::registry metrics;
  // The server's first worker serves the delivery reports: an answer goes out from the thread
  // that learnt its events are durable, not through a thread of the producer's own.
  auto producer_options = producer_options_from(cfg);
  producer_options.reports_on_event_loop = true;
  auto producer = kafka::producer::create(producer_options, metrics);
  if (!producer) {
    log.error("cannot create the Kafka producer: {}", producer.err().message);
    return exit_bad_config;
  }
  kafka_event_log event_log(std::move(producer).value(), cfg.kafka->topic, cfg.kafka->bad_topic);
  ingest::pipeline pipeline(cfg.ingest, cfg.sites, *enricher, event_log, metrics, cfg.snowplow, cfg.segment,
                            cfg.identity);

  http::readiness_watch readiness(
      [&event_log]() -> std::optional<std::string> {
        if (event_log.ready(readiness_timeout)) return std::nullopt;
        return "the event log (Kafka) cannot be reached; see the logs";
      },
      readiness_interval);
  http::router routes;
  http::add_health_routes(routes, [&readiness] { return readiness.not_ready(); });
  // /metrics: on a loopback http.listen as it is, behind http.admin_token on a public one.
  const auto on_main = http::operator_guard(cfg.http.listen.host, cfg.http.admin_token);
  if (on_main) http::add_metrics_route(routes, metrics, *on_main);
  http::add_ingest_routes(routes, pipeline, *ingest_routes);
  http::server server(server_options_from(cfg), std::move(routes), metrics);
  server.serve_when_readable(event_log.report_descriptor(), [&event_log] { event_log.serve_reports(); });
  const ingest::settle_on_exit settle(event_log);  // the producer's last callbacks reach the pipeline
  std::unique_ptr<http::server> admin;
  const auto add_operator_routes = [&metrics](http::router& r) {
    http::add_metrics_route(r, metrics, http::unguarded());
  };
  if (!start_server(server) || !start_admin_server(cfg, metrics, add_operator_routes, admin))
    return exit_failure;
  log.info("collecting url=http://{}:{}/v1/events brokers={} topic={} sites={}", cfg.http.listen.host,
           server.local_port(), cfg.kafka->brokers, cfg.kafka->topic, cfg.sites.size());

  const int signal = wait_for_stop_signal();
  log.info("draining signal={} in_flight={}", strsignal(signal), server.in_flight());
  // Requests in flight wait at most produce_timeout for their delivery reports; give them that.
  server.stop(cfg.ingest.produce_timeout + std::chrono::seconds(1));
  if (auto s = event_log.producer().flush(cfg.ingest.produce_timeout); !s) {
    log.warn("records left unflushed at exit error=\"{}\"", s.err().message);
  }
  log.info("stopped");
  return exit_ok;
}

}  // namespace clicktrail::app
