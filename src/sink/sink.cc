#include "sink/sink.h"

#include <fmt/format.h>

#include <array>
#include <optional>

#include "base/log.h"
#include "base/uuid.h"
#include "sink/intent.h"
#include "table/kafka_offsets.h"

namespace clicktrail::sink {
namespace {

// How long poll() waits for records: also how often rotation by age is checked.
constexpr std::chrono::milliseconds poll_wait{200};
// How often a fenced partition that was not revoked is checked with the source.
constexpr std::chrono::seconds fence_check_every{1};
// The group's offset trails a failed commit by this much, doubling to the most.
constexpr std::chrono::milliseconds first_mirror_backoff{500};
constexpr std::chrono::milliseconds max_mirror_backoff{10'000};
// Taking a partition back more often than this means two groups write one output.
constexpr std::size_t max_retakes = 5;
constexpr std::chrono::minutes retake_window{10};

spdlog::logger& sink_log() {
  return base::logger_for("sink");
}

}  // namespace

sink::sink(source& from, store::object_store& to, sink_options options, base::registry& metrics)
    : source_(from),
      store_(to),
      options_(std::move(options)),
      probe_(metrics),
      workers_(options_.input == input_kind::rejected ? 1 : std::max<std::size_t>(1, options_.threads)) {
  for (std::size_t worker = 0; worker < workers_.count(); ++worker)
    routers_.push_back(std::make_unique<router>(options_, from.name()));
  if (options_.input != input_kind::events) options_.iceberg.reset();  // rejected input: bad rows, files
  if (options_.iceberg) {
    table_.emplace(store_, clicktrail::table::location_of(store_), *options_.iceberg,
                   clicktrail::table::table_upkeep{}, table_catalog(options_.catalog, store_));
  }
  if (table_ && options_.glue) glue_ = clicktrail::table::glue_catalog::open(*options_.glue);
}

sink::~sink() {
  probe_.buffered_bytes.add(-buffered_);
}

base::status sink::run(mode m) {
  if (m == mode::until_caught_up) {
    auto ends = source_.end_offsets(std::chrono::seconds(30));
    if (!ends) return std::move(ends).err();
    end_offsets_ = std::move(ends).value();
    if (end_offsets_.empty())
      sink_log().info("topic {} does not exist yet: nothing to catch up on", source_.name());
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
  // Before the poll: a partition taken back is read again from where its claim resumes.
  if (auto s = check_fences(); !s) return s;
  auto batch = source_.poll(options_.poll_batch, poll_wait);
  nothing_to_assign_ = source_.nothing_to_assign();
  if (assignment_error_) return *std::exchange(assignment_error_, std::nullopt);
  if (!batch) return std::move(batch).err();
  if (auto s = write(*batch); !s) return s;
  count_cache_use();
  if (auto s = rotate(base::steady::now(), false); !s) return s;
  return commit();
}

base::status sink::write(const std::vector<std::unique_ptr<source_record>>& batch) {
  const std::int64_t check_every = options_.max_buffered_bytes / 16;
  for (std::size_t begin = 0, end = 0; begin < batch.size(); begin = end) {
    while (end < batch.size() && (end == begin || unchecked_bytes_ < check_every)) {
      if (const auto v = batch[end]->value()) unchecked_bytes_ += static_cast<std::int64_t>(v->size());
      ++end;
    }
    if (auto s = write_slice(std::span(batch).subspan(begin, end - begin)); !s) return s;
    if (unchecked_bytes_ >= check_every) {
      if (auto s = keep_within_bounds(); !s) return s;
    }
  }
  return {};
}

base::status sink::write_slice(std::span<const std::unique_ptr<source_record>> slice) {
  std::vector<partition_work> work;
  std::map<std::int32_t, std::size_t> work_of;  // partition → its index in `work`
  for (const auto& record : slice) {
    const auto p = partitions_.find(record->partition());
    if (p == partitions_.end()) continue;  // revoked (or fenced) while the batch was in flight
    const auto [at, added] = work_of.try_emplace(p->first, work.size());
    if (added) work.emplace_back().writer = p->second.get();
    work[at->second].records.push_back(record.get());
  }
  workers_.run(work.size(),
               [&](std::size_t t, std::size_t worker) { write_partition(*routers_[worker], work[t]); });
  // Every outcome is settled, so that a conflict fences its partition even when another
  // partition's error ends the step; the first such error is returned.
  base::status first_error;
  for (auto& w : work) {
    records_ += w.written;
    if (auto s = settle(w.writer->partition(), std::move(w.outcome)); !s && first_error) {
      first_error = std::move(s);
    }
  }
  return first_error;
}

// route → append, for one partition's records in order; what it touches besides the partition's
// writer and the worker's router is the metrics (atomic) and the store (thread-safe).
//
// Each record is routed one step ahead of its append, into the other of two routed records (whose
// strings keep their capacity from record to record): its id's slot in the window of recent ids,
// a cache miss in a table of megabytes, loads while the record before it is appended.
void sink::write_partition(router& route, partition_work& work) {
  partition_writer& writer = *work.writer;
  // Records a few ahead start loading while this one is routed.
  constexpr std::size_t prefetch_distance = 4;
  const auto& records = work.records;
  for (std::size_t i = 0; i < std::min(prefetch_distance, records.size()); ++i) records[i]->prefetch();
  // An event to check for a repeat: one the sink stores (the router gave it its id's bytes).
  const auto checked = [](const routed_record& r) { return r.dropped ? std::nullopt : r.id; };
  std::array<routed_record, 2> ahead;
  auto route_next = [&](std::size_t i) {
    if (i + prefetch_distance < records.size()) records[i + prefetch_distance]->prefetch();
    routed_record& next = ahead[i % 2];
    route.route_into(*records[i], next);
    if (const auto id = checked(next)) writer.prefetch_repeat_check(*id);
  };
  if (!records.empty()) route_next(0);
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (i + 1 < records.size()) route_next(i + 1);
    const routed_record& routed = ahead[i % 2];
    const std::optional<base::uuid> id = checked(routed);
    if (routed.to == table::bad) {
      probe_.bad_records.inc({options_.input == input_kind::rejected ? "rejected_input" : "invalid_record"});
    } else if (routed.e.is_bot.value_or(false)) {
      probe_.bot_events.inc({routed.e.site, routed.dropped ? "dropped" : "stored"});
    }
    const bool repeat = id && writer.repeats(*id);
    if (repeat) probe_.repeated_events.inc();
    auto appended = routed.dropped || repeat ? writer.skip(routed.offset) : writer.append(routed);
    if (!appended) {
      work.outcome = std::move(appended);
      return;
    }
    ++work.written;
  }
}

void sink::count_cache_use() {
  std::uint64_t hits = 0, misses = 0;
  for (const auto& r : routers_) hits += r->cache_hits(), misses += r->cache_misses();
  probe_.ua_cache_hits.inc(hits - std::exchange(ua_hits_counted_, hits));
  probe_.ua_cache_misses.inc(misses - std::exchange(ua_misses_counted_, misses));
}

// Closing a file encodes and compresses what it holds and uploads the rest: the partitions' files
// close side by side on the workers.
base::status sink::rotate(base::steady::time_point now, bool everything) {
  std::vector<partition_writer*> writers;
  for (const auto& [p, writer] : partitions_) {
    if (const auto t = writer->oldest_open(); t && (everything || now - *t >= options_.max_age))
      writers.push_back(writer.get());
  }
  std::vector<base::status> closed(writers.size());
  workers_.run(writers.size(),
               [&](std::size_t t, std::size_t) { closed[t] = writers[t]->close_due(now, everything); });
  base::status first_error;  // as in write_slice: every outcome settled
  for (std::size_t i = 0; i < writers.size(); ++i) {
    if (auto s = settle(writers[i]->partition(), std::move(closed[i])); !s && first_error) {
      first_error = std::move(s);
    }
  }
  if (!first_error) return first_error;
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
      if (auto t = writer->oldest_open(); t && (!oldest_time || *t < *oldest_time))
        oldest_time = t, oldest = writer.get();
      if (const auto b = writer->fullest_buffer(); writer->open_files() > 0 && b > most)
        most = b, fullest = writer.get();
    }
    if (open > options_.max_open_files && oldest) {
      if (auto s = settle(oldest->partition(), oldest->close_oldest()); !s) return s;
    } else if (buffered > options_.max_buffered_bytes && fullest) {
      if (auto s = settle(fullest->partition(), fullest->close_fullest()); !s) return s;
    } else {
      // Added as a change: the sinks of one process (events, rejected input) share the gauge.
      probe_.buffered_bytes.add(buffered - std::exchange(buffered_, buffered));
      return {};
    }
  }
}

base::status sink::commit() {
  // Each partition's commit point, found once: where the table, the intent and the group may go.
  std::map<std::int32_t, std::int64_t> ready;
  for (auto& [p, writer] : partitions_) {
    if (const auto end = source_.last_seen_end_offset(p)) writer->note_end_offset(*end);
    const auto offset = writer->commit_point();
    if (!offset) continue;
    // A partition's first commit: the group gets an offset (where reading began) before the
    // intent or the table moves past it, so that a restart never finds them ahead of a group with
    // no offset unless the offsets were really lost (partition_claim::take stops on that).
    if (!writer->source_has_offset()) {
      if (auto s = tell_source(p, writer->first_source_offset()); !s) return s;
      if (!writer->source_has_offset()) continue;  // not yet: the table and the intent wait too
    }
    ready[p] = *offset;
  }
  if (table_) {
    if (auto s = commit_to_table(ready); !s) return s;
  }
  for (auto it = partitions_.begin(); it != partitions_.end();) {
    const auto [p, writer] = std::pair{it->first, it->second.get()};
    ++it;                                        // settle() may drop this one
    if (!writer->source_has_offset()) continue;  // not yet: the intent waits too
    const auto found = ready.find(p);
    const auto offset = found == ready.end() ? std::nullopt : std::optional(found->second);
    if (const auto to = table_ ? intent_follows_table(*writer, offset) : offset) {
      // The commit itself: the intent, by compare-and-swap (a stalled owner's fails here).
      if (auto s = settle(p, writer->commit(*to)); !s) return s;
      if (!partitions_.contains(p)) continue;  // taken over
      probe_.commits.inc();
    }
    // Then the source follows.
    if (writer->mirrored() < writer->committed()) {
      if (auto s = tell_source(p, writer->committed()); !s) return s;
    }
  }
  return {};
}

base::status sink::tell_source(std::int32_t p, std::int64_t offset) {
  if (base::steady::now() < mirror_retry_at_) return {};
  if (auto s = source_.commit(p, offset); !s) {
    if (!s.err().retriable()) return s;
    mirror_backoff_ = std::min(max_mirror_backoff, std::max(2 * mirror_backoff_, first_mirror_backoff));
    mirror_retry_at_ = base::steady::now() + mirror_backoff_;
    if (failed_commits_++ == 0) {
      sink_log().warn(
          "the group's offset could not follow the commit; trying again with backoff partition={} "
          "offset={} error={}",
          p, offset, s.err().message);
    }
    probe_.commit_retries.inc();
    return {};
  }
  if (failed_commits_ > 0) {
    sink_log().info("the group's offsets follow again failed_attempts={}", std::exchange(failed_commits_, 0));
  }
  mirror_backoff_ = {};
  partitions_.at(p)->mirrored_to(offset);
  return {};
}

std::optional<std::string> sink::not_ready() const {
  if (!assigned_once_ && !nothing_to_assign_) {
    return fmt::format("the sink of {} has not been given its partitions yet", source_.name());
  }
  if (const auto n = fenced_count_.load(); n > 0) {
    return fmt::format(
        "{} partition(s) of {} were taken over by another sink while this one stalled; waiting for "
        "the group to revoke them",
        n, source_.name());
  }
  return std::nullopt;
}

base::status sink::settle(std::int32_t p, base::status s) {
  if (s || !s.err().conflicting()) return s;
  const auto it = partitions_.find(p);
  if (it == partitions_.end()) return {};
  const std::int64_t committed = it->second->mirrored();
  partitions_.erase(it);  // aborts the open uploads; the new owner retired their keys anyway
  fence(p, committed, s.err().message);
  return {};
}

void sink::fence(std::int32_t p, std::int64_t probe_offset, const std::string& why) {
  sink_log().warn(
      "partition taken over by another owner: dropping it and waiting for the group to revoke it "
      "partition={} "
      "source={} reason=\"{}\"",
      p, source_.name(), why);
  fenced_[p] = fenced_partition{.probe_offset = probe_offset, .checked = base::steady::now()};
  fenced_count_ = fenced_.size();
  probe_.fenced.inc();
  probe_.lag(source_.name(), p).set(0);
}

base::status sink::take(std::int32_t p, std::optional<std::int64_t> group_offset) {
  std::int64_t retired = 0;
  auto claim = partition_claim::take(
      store_,
      {.source_name = source_.name(),
       .partition = p,
       .committed = group_offset,
       // --accept-offset-reset answers what the operator saw at start: a partition's first takeover
       // in this process, not the ones after (a group trailing the intent is normal then).
       .accept_offset_reset = options_.accept_offset_reset && !taken_.contains(p),
       .ask_group = [this, p] { return source_.committed(p); },
       .how_to_commit = [this, p](std::int64_t offset) { return source_.how_to_commit(p, offset); }},
      retired);
  if (!claim) {
    // Another writer changed the intent while we took it over: we may be the one that stalled.
    if (claim.err().conflicting()) {
      fence(p, group_offset.value_or(0), claim.err().message);
      return {};
    }
    return std::move(claim).err();
  }
  std::optional<std::int64_t> in_table;
  if (table_) {
    auto held = table_offset_of(p);
    if (!held) return std::move(held).err();
    in_table = *held;
    // The table commits before the intent: it can be ahead (a crash between the two), never behind.
    if (in_table && *in_table < claim->resume_at()) {
      return base::error::fail(fmt::format(
          "the table {} holds the events of partition {} of {} below offset {}, but the sink committed up to "
          "{}: the table was rolled back or replaced. Nothing was written: the sink neither writes events "
          "twice "
          "nor guesses; restore the table's newer version, or give the sink a new sink.output "
          "(docs/iceberg.md)",
          table_->uri_of(""), p, source_.name(), *in_table, claim->resume_at()));
    }
  }
  taken_.insert(p);
  probe_.recovered_deletes.inc(static_cast<std::uint64_t>(retired));
  auto writer = std::make_unique<partition_writer>(p, std::move(*claim), group_offset, in_table,
                                                   source_.name(), options_, store_, probe_);
  sink_log().info("assigned partition={} committed={} resume_at={} generation={} retired_files={}", p,
                  group_offset.value_or(0), writer->next_offset(), writer->generation(), retired);
  partitions_[p] = std::move(writer);
  return {};
}

base::status sink::check_fences() {
  const auto now = base::steady::now();
  std::vector<std::int32_t> ours;
  for (auto& [p, f] : fenced_) {
    if (now - f.checked < fence_check_every) continue;
    f.checked = now;
    // A member that lost the partition cannot commit it (the group's generation moved on), and
    // its revocation is on its way; one that can still owns it.
    if (source_.commit(p, f.probe_offset)) ours.push_back(p);
  }
  for (const auto p : ours) {
    // Whoever took the claim is a sink of this group that stalled while it was taking the
    // partition over, or a writer outside the group. Take the partition back — a few times: only
    // writers in two groups keep taking it from each other.
    auto& times = retakes_[p];
    std::erase_if(times, [&](base::steady::time_point t) { return now - t > retake_window; });
    if (times.size() >= max_retakes) {
      return base::error::fail(
          fmt::format("partition {} of {} is this sink's in its consumer group, yet another writer took over "
                      "its intent object "
                      "in {} {} times in {} minutes: two sinks with different sink.group_id (or a "
                      "`clicktrail run` and a sink) "
                      "write the same partitions to the same output; give each output one group",
                      p, source_.name(), store_.describe(), times.size() + 1,
                      std::chrono::duration_cast<std::chrono::minutes>(retake_window).count()));
    }
    times.push_back(now);
    const std::int64_t group_offset = fenced_.at(p).probe_offset;
    fenced_.erase(p);
    fenced_count_ = fenced_.size();
    sink_log().warn("partition is still this sink's in its group: taking it back partition={} source={}", p,
                    source_.name());
    if (auto s = take(p, group_offset); !s) return s;
    // Records read while the partition was dropped were not written: read them again.
    if (const auto it = partitions_.find(p); it != partitions_.end()) {
      if (auto s = source_.seek(p, it->second->read_from()); !s) return s;
    }
  }
  return {};
}

std::map<std::int32_t, std::int64_t> sink::on_assigned(
    const std::map<std::int32_t, std::optional<std::int64_t>>& committed) {
  assigned_once_ = true;
  std::map<std::int32_t, std::int64_t> starts;
  for (const auto& [p, offset] : committed) {
    fenced_.erase(p);
    fenced_count_ = fenced_.size();
    if (auto s = take(p, offset); !s) {
      // Raised by run() right after this poll: the partition cannot be written safely.
      if (!assignment_error_) assignment_error_ = std::move(s).err();
      continue;
    }
    if (const auto it = partitions_.find(p); it != partitions_.end()) {
      if (const auto from = it->second->read_from()) starts[p] = *from;
    }
  }
  return starts;
}

void sink::on_revoked(const std::vector<std::int32_t>& partitions) {
  for (auto p : partitions) {
    fenced_.erase(p);
    fenced_count_ = fenced_.size();
    if (const auto it = partitions_.find(p); it != partitions_.end()) {
      // Still ours until this returns: abort the open uploads and take them off the intent, so
      // that the next owner only has complete files above the committed offset to retire.
      it->second->release();
      partitions_.erase(it);
      sink_log().info("revoked partition={}", p);
    }
    probe_.lag(source_.name(), p).set(0);
  }
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
