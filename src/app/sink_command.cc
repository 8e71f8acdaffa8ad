// `clicktrail sink`: Kafka → Hive-partitioned files in S3 or a directory, exactly once.

#include <fmt/format.h>
#include <unistd.h>

#include <cstring>
#include <future>
#include <thread>

#include "app/commands.h"
#include "app/kafka_source.h"
#include "app/signals.h"
#include "app/startup.h"
#include "base/log.h"
#include "config/config.h"
#include "sink/sink.h"
#include "store/open_store.h"

namespace clicktrail::app {
namespace {

kafka::consumer_options consumer_options_from(const config::config& c) {
  kafka::consumer_options o;
  o.brokers = c.kafka->brokers;
  o.group_id = c.sink.group_id;
  o.topic = c.kafka->topic;
  o.extra = c.kafka->consumer;
  return o;
}

// One line, rewritten in place, when stderr is a terminal.
void show_progress(const sink::sink::progress& p, std::chrono::steady_clock::duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const double rate = seconds > 0 ? static_cast<double>(p.records) / seconds : 0;
  const double left = rate > 0 ? static_cast<double>(p.lag) / rate : 0;
  fmt::print(stderr, "\r{} events, {:.0f}/s, lag {}, about {:.0f}s left   ", p.records, rate, p.lag, left);
}

}  // namespace

int sink_run(const config::load_options& sources, bool until_caught_up) {
  const auto loaded = start_up(sources, "sink", [](const config::config& c) -> std::optional<std::string> {
    if (c.kafka) return std::nullopt;
    return "clicktrail sink reads Kafka: add [kafka] with brokers = \"host:port\" (or set CLICKTRAIL_KAFKA_BROKERS)";
  });
  if (!loaded) return exit_bad_config;
  const config::config& cfg = *loaded;
  auto& log = base::logger_for("sink");

  base::registry metrics;
  auto store = store::open_store(cfg.sink.output, cfg.s3, metrics);
  if (!store) {
    log.error("cannot open the output {}: {}", cfg.sink.output_text, store.err().message);
    return exit_bad_config;
  }
  kafka_source source(consumer_options_from(cfg), metrics);
  sink::sink sink(source, **store, sink::options_from(cfg.sink), metrics);
  if (auto s = source.attach(sink); !s) {
    log.error("cannot join the consumer group: {}", s.err().message);
    return exit_bad_config;
  }
  log.info("sinking topic={} group={} output={}", cfg.kafka->topic, cfg.sink.group_id, (*store)->describe());

  const auto started = std::chrono::steady_clock::now();
  auto finished = std::async(std::launch::async, [&] {
    return sink.run(until_caught_up ? sink::sink::mode::until_caught_up : sink::sink::mode::forever);
  });
  const bool terminal = isatty(STDERR_FILENO) == 1;
  while (finished.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
    if (const int signal = wait_for_stop_signal(std::chrono::milliseconds(500)); signal != 0) {
      log.info("stopping signal={}", strsignal(signal));
      sink.stop();
      break;
    }
    if (until_caught_up && terminal) show_progress(sink.current_progress(), std::chrono::steady_clock::now() - started);
  }
  const auto result = finished.get();
  source.close();  // before `sink` goes: leaving the group calls back into it
  if (until_caught_up && terminal) fmt::print(stderr, "\n");
  if (!result) {
    log.error("stopped: {}; nothing past the store's content was committed, so a restart resumes safely",
              result.err().message);
    return exit_failure;
  }
  log.info("stopped records={}", sink.current_progress().records);
  return exit_ok;
}

}  // namespace clicktrail::app
