#include "sink/sink.h"

#include <fmt/format.h>

#include "base/log.h"
#include "sink/intent.h"

namespace clicktrail::sink {
namespace {

// How long poll() waits for records: also how often rotation by age is checked.
constexpr std::chrono::milliseconds poll_wait{200};

spdlog::logger& sink_log() { return base::logger_for("sink"); }

}  // namespace

sink::sink(source& from, store::object_store& to, sink_options options, base::registry& metrics)
    : source_(from),
      store_(to),
      options_(std::move(options)),
      probe_(metrics),
      router_(options_.input, options_.layout, options_.partition_by, from.name()) {}

sink::~sink() { probe_.buffered_bytes.add(-buffered_); }

base::status sink::run(mode m) {
  if (m == mode::until_caught_up) {
    auto ends = source_.end_offsets(std::chrono::seconds(30));
    if (!ends) return std::move(ends).err();
    end_offsets_ = std::move(ends).value();
    if (end_offsets_.empty()) sink_log().info("topic {} does not exist yet: nothing to catch up on", source_.name());
  }
  while (!stopping_) {
    if (draining_ && m != mode::until_caught_up) {
      // Asked to drain: read on to the end offsets as they are now, then stop.
      auto ends = source_.end_offsets(std::chrono::seconds(30));
      if (!ends) return std::move(ends).err();
      end_offsets_ = std::move(ends).value();
      m = mode::until_caught_up;
    }
    if (m == mode::until_caught_up && caught_up()) break;
    if (auto s = step(); !s) return s;
  }
  // Stopping or caught up: finish what is open, so that everything read is in the store.
  if (auto s = rotate(base::steady::now(), true); !s) return s;
  return commit();
}

// consume → route → append → rotate → commit
base::status sink::step() {
  auto batch = source_.poll(options_.poll_batch, poll_wait);
  if (assignment_error_) return *std::exchange(assignment_error_, std::nullopt);
  if (!batch) return std::move(batch).err();
  for (auto& record : *batch) {
    const auto p = partitions_.find(record->partition());
    if (p == partitions_.end()) continue;  // revoked while the batch was in flight
    routed_record routed = router_.route(*record);
    if (routed.to == table::bad) {
      probe_.bad_records.inc({options_.input == input_kind::rejected ? "rejected_input" : "invalid_record"});
    }
    if (auto s = p->second->append(std::move(routed)); !s) return s;
    ++records_;
    // Memory is checked within a batch too, each time a sixteenth of the bound has come in, so
    // a large batch cannot carry it far past the bound.
    if (const auto v = record->value()) unchecked_bytes_ += static_cast<std::int64_t>(v->size());
    if (unchecked_bytes_ >= options_.max_buffered_bytes / 16) {
      if (auto s = keep_within_bounds(); !s) return s;
    }
  }
  if (auto s = rotate(base::steady::now(), false); !s) return s;
  return commit();
}

base::status sink::rotate(base::steady::time_point now, bool everything) {
  for (auto& [p, writer] : partitions_) {
    if (auto s = writer->close_due(now, everything); !s) return s;
  }
  return keep_within_bounds();
}

base::status sink::keep_within_bounds() {
  unchecked_bytes_ = 0;
  // Memory is bounded by the open files and the bytes they hold: past either bound, close files
  // early — the oldest, or the one holding most — whatever partition owns them.
  for (;;) {
    std::size_t open = 0;
    std::int64_t buffered = 0;
    partition_writer* oldest = nullptr;
    partition_writer* fullest = nullptr;
    std::optional<base::steady::time_point> oldest_time;
    std::int64_t most = -1;
    for (auto& [p, writer] : partitions_) {
      open += writer->open_files();
      buffered += writer->buffered_bytes();
      if (auto t = writer->oldest_open(); t && (!oldest_time || *t < *oldest_time)) oldest_time = t, oldest = writer.get();
      if (const auto b = writer->fullest_buffer(); writer->open_files() > 0 && b > most) most = b, fullest = writer.get();
    }
    if (open > options_.max_open_files && oldest) {
      if (auto s = oldest->close_oldest(); !s) return s;
    } else if (buffered > options_.max_buffered_bytes && fullest) {
      if (auto s = fullest->close_fullest(); !s) return s;
    } else {
      // Added as a change: the sinks of one process (events, rejected input) share the gauge.
      probe_.buffered_bytes.add(buffered - std::exchange(buffered_, buffered));
      return {};
    }
  }
}

base::status sink::commit() {
  for (auto& [p, writer] : partitions_) {
    if (const auto end = source_.last_seen_end_offset(p)) writer->note_end_offset(*end);
    const auto offset = writer->commit_point();
    if (!offset) continue;
    if (auto s = source_.commit(p, *offset); !s) return s;
    probe_.commits.inc();
    if (auto s = writer->committed_to(*offset); !s) return s;
  }
  return {};
}

void sink::on_assigned(const std::map<std::int32_t, std::optional<std::int64_t>>& committed) {
  for (const auto& [p, offset] : committed) {
    const std::int64_t from = offset.value_or(0);
    if (auto s = recover(p, from); !s) {
      // Raised by run() right after this poll: the partition cannot be written safely.
      if (!assignment_error_) assignment_error_ = s;
      continue;
    }
    partitions_[p] = std::make_unique<partition_writer>(p, from, source_.name(), options_, store_, probe_);
    sink_log().info("assigned partition={} committed={}", p, from);
  }
}

void sink::on_revoked(const std::vector<std::int32_t>& partitions) {
  for (auto p : partitions) {
    // Destroying the writer aborts its open uploads; what it completed stays listed in the
    // intent object above the committed offset, for the next owner's recovery to remove.
    if (partitions_.erase(p) > 0) sink_log().info("revoked partition={}", p);
    probe_.lag(source_.name(), p).set(0);
  }
}

// Step 6 of the algorithm: every file the intent lists at or above the committed offset is a
// leftover of a run that did not commit it; remove it — and the upload it may have been in the
// middle of, whose parts S3 would otherwise keep (and bill) — then consume from the committed
// offset.
base::status sink::recover(std::int32_t partition, std::int64_t committed) {
  const auto key = intent_key(source_.name(), partition);
  auto intent = store_.get(key);
  if (!intent) return std::move(intent).err();
  if (!intent->has_value()) return {};
  std::size_t removed = 0;
  for (const auto& file : decode_intent(**intent)) {
    const auto start = start_offset_of(file);
    if (!start || *start < committed) continue;
    if (auto s = store_.remove(file); !s) return s;
    if (auto s = store_.remove_unfinished(file); !s) return s;
    ++removed;
  }
  probe_.recovered_deletes.inc(removed);
  if (removed > 0) sink_log().info("recovered partition={} committed={} removed_files={}", partition, committed, removed);
  return store_.remove(key);
}

bool sink::caught_up() const {
  for (const auto& [p, end] : end_offsets_) {
    const auto it = partitions_.find(p);
    if (it == partitions_.end()) {
      if (end > 0) return false;  // not (yet) assigned to us
      continue;
    }
    if (it->second->next_offset() < end) return false;
  }
  return true;
}

sink::progress sink::current_progress() const {
  progress out;
  out.records = records_;
  for (const auto& [p, end] : end_offsets_) {
    const auto it = partitions_.find(p);
    const std::int64_t at = it == partitions_.end() ? 0 : it->second->next_offset();
    out.lag += std::max<std::int64_t>(0, end - at);
  }
  return out;
}

}  // namespace clicktrail::sink
