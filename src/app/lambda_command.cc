// `clicktrail lambda`: the AWS Lambda function behind API Gateway, as a custom runtime. The
// producer is made at init and lives across invocations; each invocation is answered only once
// its events are durable, or 503 before the function's timeout.

#include <fmt/format.h>

#include <cstdlib>

#include "app/commands.h"
#include "app/kafka_event_log.h"
#include "app/server_options.h"
#include "app/startup.h"
#include "base/log.h"
#include "enrich/collector_enricher.h"
#include "ingest/pipeline.h"
#include "lambda/function.h"
#include "lambda/runtime_loop.h"

namespace clicktrail::app {
namespace {

std::optional<std::string> missing_for_lambda(const config::config& c) {
  if (!c.kafka)
    return "clicktrail lambda needs Kafka: set CLICKTRAIL_KAFKA_BROKERS=host:port in the function's "
           "environment";
  if (c.sites.empty()) {
    return "clicktrail lambda needs at least one site: set CLICKTRAIL_SITES=\"KEY=ORIGIN [ORIGIN…]\" in the "
           "function's "
           "environment, e.g. \"blog=https://me.github.io\"";
  }
  return std::nullopt;
}

// Init failed: tell Lambda (it shows the message to the caller and in the function's log),
// then exit so that the next invocation starts a new environment.
int init_failed(lambda::runtime_client& runtime, std::string_view error_type, const std::string& message) {
  fmt::print(stderr, "{}\n", message);
  if (auto s = runtime.fail_init(error_type, message); !s) fmt::print(stderr, "{}\n", s.err().message);
  return exit_bad_config;
}

}  // namespace

int lambda_runtime(const config::load_options& sources) {
  const char* api =
      std::getenv("AWS_LAMBDA_RUNTIME_API");  // NOLINT(concurrency-mt-unsafe): read before threads
  if (api == nullptr || *api == '\0') {
    fmt::print(
        stderr,
        "clicktrail lambda is a Lambda function's runtime: run it inside AWS Lambda (the container image's "
        "entry point) or the Runtime Interface Emulator, which set AWS_LAMBDA_RUNTIME_API\n");
    return exit_bad_config;
  }
  lambda::runtime_client runtime(api);

  auto loaded = load_for(sources, "lambda", missing_for_lambda);
  if (!loaded) return init_failed(runtime, "Clicktrail.InvalidConfiguration", loaded.err().message);
  const config::config& cfg = *loaded;

  base::registry metrics;  // not served: nothing scrapes a Lambda function; its log is the record
  auto options = producer_options_from(cfg);
  // One invocation at a time: there is nothing to batch with, and every millisecond of linger
  // is a millisecond of the caller's wait.
  options.linger = std::chrono::milliseconds(0);
  auto producer = kafka::producer::create(options, metrics);
  if (!producer) return init_failed(runtime, "Clicktrail.KafkaProducer", producer.err().message);
  kafka_event_log event_log(std::move(producer).value(), cfg.kafka->topic, cfg.kafka->bad_topic);
  event_log.prepare();  // the first invocation is usually already waiting: start now
  auto enricher = enrich::collector_enricher::open(cfg.enrich, cfg.sites);
  if (!enricher) return init_failed(runtime, "Clicktrail.InvalidConfiguration", enricher.err().message);
  auto ingest_routes = ingest::ingest_routes(cfg);
  if (!ingest_routes)
    return init_failed(runtime, "Clicktrail.InvalidConfiguration", ingest_routes.err().message);
  ingest::pipeline pipeline(cfg.ingest, cfg.sites, *enricher, event_log, metrics, cfg.snowplow, cfg.segment,
                            cfg.identity);
  lambda::function function(pipeline, std::move(ingest_routes).value());
  const ingest::settle_on_exit settle(event_log);  // the producer's last callbacks reach the pipeline

  auto& log = base::logger_for("lambda");
  log.info("ready brokers={} topic={} sites={}", cfg.kafka->brokers, cfg.kafka->topic, cfg.sites.size());
  const base::error stopped = lambda::serve(runtime, function, [&](base::steady::time_point until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - base::steady::now());
    if (left.count() <= 0) return;
    if (auto s = event_log.producer().flush(left); !s)
      log.warn("records still in flight: {}", s.err().message);
  });
  log.error("{}", stopped.message);
  return exit_failure;
}

}  // namespace clicktrail::app
