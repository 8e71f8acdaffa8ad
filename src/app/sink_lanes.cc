#include "app/sink_lanes.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"

namespace clicktrail::app {

base::status sink_lanes::add(std::unique_ptr<sink::source> source,
                             const std::function<base::status(sink::sink&)>& attach,
                             std::function<void()> close, store::object_store& store,
                             const sink::sink_options& options, base::registry& metrics) {
  auto l = std::make_unique<lane>();
  l->source = std::move(source);
  l->sink = std::make_unique<sink::sink>(*l->source, store, options, metrics);
  l->close = std::move(close);
  if (auto s = attach(*l->sink); !s) return s;
  lanes_.push_back(std::move(l));
  return {};
}

sink_lanes::~sink_lanes() {
  stop();
  finish();
}

void sink_lanes::start(sink::sink::mode mode) {
  for (auto& l : lanes_) {
    l->finished = std::async(std::launch::async, [&l = *l, mode] {
      auto s = l.sink->run(mode);
      if (!s) l.failed = true;
      // Leave at once (on the thread that used the source): a Kafka member that stays in the
      // group without polling would hold up every rebalance of the group — the other lane's,
      // and other sinks' — for max.poll.interval.ms.
      if (l.close) l.close();
      return s;
    });
  }
}

bool sink_lanes::any_failed() const {
  return std::any_of(lanes_.begin(), lanes_.end(), [](const auto& l) { return l->failed.load(); });
}

bool sink_lanes::all_finished() const {
  return std::all_of(lanes_.begin(), lanes_.end(), [](const auto& l) {
    return !l->finished.valid() ||
           l->finished.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready;
  });
}

void sink_lanes::stop() {
  for (auto& l : lanes_) l->sink->stop();
}

void sink_lanes::drain_and_stop() {
  for (auto& l : lanes_) l->sink->drain_and_stop();
}

bool sink_lanes::finish() {
  bool ok = true;
  for (auto& l : lanes_) {
    if (l->finished.valid()) {
      const auto result = l->finished.get();
      if (!result) {
        // A transient failure that outlasted the retries: say that starting again is safe. Other
        // errors say themselves what must change first.
        base::logger_for("sink").error(
            "stopped: {}: {}{}", l->source->name(), result.err().message,
            result.err().retriable()
                ? "; nothing past the store's content was committed, so a restart resumes safely"
                : "");
        ok = false;
      }
    } else if (l->close) {
      l->close();  // not started, or waited for already: the source is closed either way
    }
  }
  return ok;
}

std::optional<std::string> sink_lanes::not_ready(const store::object_store& store) const {
  for (const auto& l : lanes_) {
    if (l->failed) return fmt::format("the sink of {} stopped on an error; see the log", l->source->name());
    if (auto why = l->sink->not_ready()) return why;
  }
  if (auto why = store.failing()) return fmt::format("the output {} is failing: {}", store.describe(), *why);
  return std::nullopt;
}

sink::sink::progress sink_lanes::progress() const {
  sink::sink::progress p;
  for (const auto& l : lanes_) {
    const auto one = l->sink->current_progress();
    p.records += one.records;
    p.lag += one.lag;
  }
  return p;
}

}  // namespace clicktrail::app
