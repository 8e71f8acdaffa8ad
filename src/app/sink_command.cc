// `clicktrail sink`: Kafka → Hive-partitioned files in S3 or a directory, exactly once.
//
// Two sinks run side by side, each on its own thread with its own consumer in the sinks' group:
// one for the collector's events (kafka.topic), one for its rejected input (kafka.bad_topic),
// which becomes the bad/ table next to the sink's own poison records.

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <future>
#include <vector>

#include "app/commands.h"
#include "app/kafka_source.h"
#include "app/server_options.h"
#include "app/signals.h"
#include "app/startup.h"
#include "base/log.h"
#include "config/config.h"
#include "http/ops_routes.h"
#include "http/server.h"
#include "sink/sink.h"
#include "store/open_store.h"

namespace clicktrail::app {
namespace {

kafka::consumer_options consumer_options_from(const config::config& c, const std::string& topic) {
  kafka::consumer_options o;
  o.brokers = c.kafka->brokers;
  o.group_id = c.sink.group_id;
  o.topic = topic;
  o.extra = c.kafka->consumer;
  return o;
}

// One topic into the store: its consumer, its sink, and the thread that runs them.
struct lane {
  lane(const config::config& c, const std::string& topic, sink::input_kind input, store::object_store& store,
       base::registry& metrics)
      : source(consumer_options_from(c, topic), metrics), sink(source, store, options(c, input), metrics) {}

  static sink::sink_options options(const config::config& c, sink::input_kind input) {
    auto o = sink::options_from(c.sink);
    o.input = input;
    return o;
  }

  kafka_source source;
  sink::sink sink;
  std::future<base::status> finished;
  std::atomic<bool> failed{false};
};

// One line, rewritten in place, when stderr is a terminal.
void show_progress(const std::vector<std::unique_ptr<lane>>& lanes,
                   std::chrono::steady_clock::duration elapsed) {
  sink::sink::progress p;
  for (const auto& l : lanes) {
    const auto one = l->sink.current_progress();
    p.records += one.records;
    p.lag += one.lag;
  }
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const double rate = seconds > 0 ? static_cast<double>(p.records) / seconds : 0;
  const double left = rate > 0 ? static_cast<double>(p.lag) / rate : 0;
  fmt::print(stderr, "\r{} records, {:.0f}/s, lag {}, about {:.0f}s left   ", p.records, rate, p.lag, left);
}

bool all_finished(const std::vector<std::unique_ptr<lane>>& lanes) {
  for (const auto& l : lanes) {
    if (l->finished.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) return false;
  }
  return true;
}

}  // namespace

int sink_run(const config::load_options& sources, bool until_caught_up) {
  const auto loaded = start_up(sources, "sink", [](const config::config& c) -> std::optional<std::string> {
    if (c.kafka) return std::nullopt;
    return "clicktrail sink reads Kafka: add [kafka] with brokers = \"host:port\" (or set "
           "CLICKTRAIL_KAFKA_BROKERS)";
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
  std::vector<std::unique_ptr<lane>> lanes;
  lanes.push_back(std::make_unique<lane>(cfg, cfg.kafka->topic, sink::input_kind::events, **store, metrics));
  lanes.push_back(
      std::make_unique<lane>(cfg, cfg.kafka->bad_topic, sink::input_kind::rejected, **store, metrics));
  for (auto& l : lanes) {
    if (auto s = l->source.attach(l->sink); !s) {
      log.error("cannot join the consumer group: {}", s.err().message);
      return exit_bad_config;
    }
  }
  std::optional<http::server> ops;
  if (cfg.sink.listen) {
    http::router routes;
    http::add_ops_routes(routes, metrics);
    ops.emplace(sink_server_options_from(cfg), std::move(routes), metrics);
    if (!start_server(*ops)) return exit_failure;
  }
  log.info("sinking topics={},{} group={} output={} metrics={}", cfg.kafka->topic, cfg.kafka->bad_topic,
           cfg.sink.group_id, (*store)->describe(),
           ops ? fmt::format("http://{}:{}/metrics", cfg.sink.listen->host, ops->local_port()) : "off");

  const auto started = std::chrono::steady_clock::now();
  const auto mode = until_caught_up ? sink::sink::mode::until_caught_up : sink::sink::mode::forever;
  for (auto& l : lanes) {
    l->finished = std::async(std::launch::async, [&l = *l, mode] {
      auto s = l.sink.run(mode);
      if (!s) l.failed = true;
      return s;
    });
  }
  const bool terminal = isatty(STDERR_FILENO) == 1;
  bool stopping = false;
  while (!all_finished(lanes)) {
    if (const int signal = wait_for_stop_signal(std::chrono::milliseconds(500)); signal != 0 && !stopping) {
      log.info("stopping signal={}", strsignal(signal));
      stopping = true;
    }
    // A lane that failed stops the other: the process exits, and its restart recovers both.
    const bool failed =
        std::any_of(lanes.begin(), lanes.end(), [](const auto& l) { return l->failed.load(); });
    if (stopping || failed) {
      for (auto& l : lanes) l->sink.stop();
    }
    if (until_caught_up && terminal) show_progress(lanes, std::chrono::steady_clock::now() - started);
  }
  int code = exit_ok;
  std::int64_t records = 0;
  for (auto& l : lanes) {
    const auto result = l->finished.get();
    l->source.close();  // before the lane's sink goes: leaving the group calls back into it
    records += l->sink.current_progress().records;
    if (!result) {
      log.error(
          "stopped: {}: {}; nothing past the store's content was committed, so a restart resumes safely",
          l->source.name(), result.err().message);
      code = exit_failure;
    }
  }
  if (until_caught_up && terminal) fmt::print(stderr, "\n");
  if (code == exit_ok) log.info("stopped records={}", records);
  return code;
}

}  // namespace clicktrail::app
