#include "app/inspect_feed.h"

#include <fmt/format.h>

#include "base/clock.h"
#include "base/json_string.h"
#include "event/binary_record.h"
#include "event/encode.h"

namespace clicktrail::app {
namespace {

// The reason of a rejected-input row ({"reason":"<code>",…}, ingest/bad_record.h).
std::string_view reason_of(std::string_view row) {
  constexpr std::string_view key = "{\"reason\":\"";
  if (!row.starts_with(key)) return "unknown";
  const auto end = row.find('"', key.size());
  return end == std::string_view::npos ? "unknown"
                                       : row.substr(key.size(), std::min<std::size_t>(end - key.size(), 64));
}

}  // namespace

inspect_feed::inspect_feed(ingest::event_log& inner, std::size_t max_streams,
                           std::chrono::milliseconds stream_timeout)
    : inner_(inner), max_streams_(max_streams), stream_timeout_(stream_timeout), thread_([this] { run(); }) {}

inspect_feed::~inspect_feed() {
  close();
}

void inspect_feed::close() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    subscribers_.clear();
    watched_ = false;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void inspect_feed::append(ingest::stream to, std::span<const ingest::record_ref> records,
                          ingest::durable_fn done) {
  // Rejections are few and always counted; accepted events are copied only while someone watches.
  std::vector<std::string> copies;
  if (to == ingest::stream::bad || watched_) {
    copies.reserve(records.size());
    for (const auto& r : records) {
      if (to == ingest::stream::events && event::is_binary_record(r.value)) {
        // The page shows JSON. A record of ours reads back; were one not to, it is left out.
        if (const auto e = event::decode_binary(r.value)) event::encode(*e, copies.emplace_back());
      } else {
        copies.emplace_back(r.value);
      }
    }
  }
  inner_.append(
      to, records,
      [this, to, count = records.size(), copies = std::move(copies), done = std::move(done)](base::status s) {
        if (s) noted(to, copies, count);
        done(std::move(s));
      });
}

void inspect_feed::noted(ingest::stream to, const std::vector<std::string>& values, std::size_t count) {
  std::lock_guard lock(mutex_);
  if (to == ingest::stream::bad) {
    for (const std::string& value : values) {
      const auto reason = reason_of(value);
      auto it = rejected_.find(reason);
      if (it == rejected_.end()) it = rejected_.emplace(std::string(reason), 0).first;
      ++it->second;
    }
    return;
  }
  accepted_ += static_cast<std::int64_t>(count);
  for (const std::string& value : values) {
    recent_.push_back(value);
    if (recent_.size() > max_per_tick) recent_.pop_front();
  }
}

bool inspect_feed::has_room() const {
  std::lock_guard lock(mutex_);
  return !stopping_ && subscribers_.size() < max_streams_;
}

void inspect_feed::subscribe(std::shared_ptr<http::stream_writer> writer) {
  std::lock_guard lock(mutex_);
  if (stopping_ || subscribers_.size() >= max_streams_) return;  // the writer goes: closed
  // retry: how long a disconnected browser waits before reconnecting.
  if (writer->write("retry: 1000\n\n"))
    subscribers_.push_back({std::move(writer), std::chrono::steady_clock::now() + stream_timeout_});
  watched_ = !subscribers_.empty();
}

void inspect_feed::run() {
  using namespace std::chrono_literals;
  auto next_stats = std::chrono::steady_clock::now();
  std::int64_t accepted_at_last_stats = 0;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, 100ms, [&] { return stopping_; });
    if (stopping_) break;
    std::string message;
    if (!recent_.empty()) {
      message = "event: events\ndata: [";
      for (std::size_t i = 0; i < recent_.size(); ++i) message += (i ? "," : "") + recent_[i];
      message += "]\n\n";
      recent_.clear();
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_stats) {
      const double seconds = std::chrono::duration<double>(now - next_stats + 1s).count();
      std::string rejected = "{";
      for (const auto& [reason, n] : rejected_) {
        if (rejected.size() > 1) rejected += ",";
        base::append_json_string(rejected, reason);
        rejected += fmt::format(":{}", n);
      }
      rejected += "}";
      message += fmt::format(
          ": ping\n\nevent: stats\ndata: "
          "{{\"ts\":{},\"accepted_total\":{},\"rejected_total\":{},\"events_per_s\":{:.1f}}}\n\n",
          base::now_unix_ms(), accepted_, rejected,
          static_cast<double>(accepted_ - accepted_at_last_stats) / seconds);
      accepted_at_last_stats = accepted_;
      next_stats = now + 1s;
    }
    std::erase_if(subscribers_, [&](const subscriber& s) {
      return now >= s.until || (!message.empty() && !s.writer->write(message));
    });
    watched_ = !subscribers_.empty();
  }
}

}  // namespace clicktrail::app
