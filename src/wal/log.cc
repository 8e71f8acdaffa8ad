#include "wal/log.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/clock.h"
#include "base/log.h"
#include "wal/probe.h"
#include "wal/record_format.h"
#include "wal/segment_recovery.h"

namespace clicktrail::wal {
namespace {

// How much of a segment one read() takes in at a time.
constexpr std::size_t read_chunk = 4u << 20;

spdlog::logger& wal_log() {
  return base::logger_for("wal");
}

}  // namespace

log::log(log_options options, std::string name, base::registry& metrics)
    : options_(std::move(options)),
      name_(std::move(name)),
      probe_(std::make_unique<probe>(metrics, name_)),
      files_(*options_.files) {}

base::result<std::unique_ptr<log>> log::open(log_options options, std::string name, base::registry& metrics) {
  std::unique_ptr<log> l(new log(std::move(options), std::move(name), metrics));
  if (auto s = l->files_.make_dirs(l->options_.dir); !s) return std::move(s).err();
  if (auto s = l->recover(); !s) return std::move(s).err();
  l->committer_ = std::thread([raw = l.get()] { raw->commit_loop(); });
  return l;
}

log::~log() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_all();
  durable_.notify_all();
  if (committer_.joinable()) committer_.join();
}

base::status log::recover() {
  auto recovered = recover_segments(files_, options_.dir, name_, *probe_);
  if (!recovered) return std::move(recovered).err();
  segments_ = std::move(recovered).value();
  if (segments_.empty()) {
    if (auto s = start_segment(0); !s) return s;
  } else {
    auto active = files_.open(segments_.back().path, open_mode::append);
    if (!active) return std::move(active).err();
    active_ = std::move(active).value();
  }
  durable_end_ = segments_.back().base + segments_.back().count;
  if (durable_end_ < options_.continue_from) {
    const std::int64_t missing = options_.continue_from - durable_end_;
    std::string gap;
    append_gap_frame(gap, base::now_unix_ms(), missing);
    if (auto s = active_->append(gap); !s) return s;
    if (auto s = active_->sync(); !s) return s;
    wal_log().warn(
        "log={} ends at offset {} but its reader has written out records up to {}: those records are gone "
        "from "
        "the log (cut after damage, or the directory was restored from an older copy); offsets go on from "
        "{}, "
        "so none is given to a new record",
        name_, durable_end_, options_.continue_from, options_.continue_from);
    segments_.back().count += missing;
    segments_.back().bytes += static_cast<std::int64_t>(gap.size());
    durable_end_ = options_.continue_from;
  }
  probe_->segments.set(static_cast<std::int64_t>(segments_.size()));
  wal_log().info("log={} opened dir={} segments={} offsets={}..{}", name_, options_.dir, segments_.size(),
                 segments_.front().base, durable_end_);
  return {};
}

base::status log::start_segment(std::int64_t base) {
  const std::string path = segment_path(options_.dir, base);
  auto created = files_.open(path, open_mode::create);
  if (!created) return std::move(created).err();
  // The new name must survive a power cut before any record in it is acknowledged.
  if (auto s = files_.sync_dir(options_.dir); !s) return s;
  active_ = std::move(created).value();
  std::lock_guard lock(mutex_);
  segments_.push_back(segment{base, 0, 0, path});
  probe_->segments.set(static_cast<std::int64_t>(segments_.size()));
  return {};
}

void log::append(std::string_view value, done_fn done) {
  if (value.size() > max_record_bytes) {
    done(base::error::reject(fmt::format("a record of {} bytes is over the embedded log's limit of {}",
                                         value.size(), max_record_bytes)));
    return;
  }
  {
    std::unique_lock lock(mutex_);
    if (broken_ || stopping_ || settling_) {
      auto e = broken_ ? *broken_ : base::error::retry("the embedded log is shutting down");
      lock.unlock();
      done(std::move(e));
      return;
    }
    append_frame(pending_, base::now_unix_ms(), value);
    pending_done_.push_back(std::move(done));
    ++owed_;
  }
  work_.notify_one();
}

void log::settle() {
  std::unique_lock lock(mutex_);
  settling_ = true;
  settled_.wait(lock, [&] { return owed_ == 0; });
}

void log::commit_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait(lock, [&] { return stopping_ || !pending_done_.empty(); });
    if (pending_done_.empty()) return;  // stopping, nothing left to write
    std::string batch = std::move(pending_);
    std::vector<done_fn> done = std::move(pending_done_);
    pending_.clear();
    pending_done_.clear();
    const auto records = static_cast<std::int64_t>(done.size());
    lock.unlock();

    const auto started = base::steady::now();
    base::status s = write_batch(batch);
    probe_->commit_seconds.observe(std::chrono::duration<double>(base::steady::now() - started).count());

    lock.lock();
    if (s) {
      segments_.back().count += records;
      segments_.back().bytes += static_cast<std::int64_t>(batch.size());
      durable_end_ += records;
      probe_->appended.inc(static_cast<std::uint64_t>(records));
      probe_->commits.inc();
    } else {
      // What reached the file may be partly there: a restart recovers to the last whole record,
      // and none of these was acknowledged.
      wal_log().error("log={} write failed; refusing appends until restart error=\"{}\"", name_,
                      s.err().message);
      broken_ = s.err();
    }
    lock.unlock();
    durable_.notify_all();
    for (auto& d : done) d(s);
    lock.lock();
    owed_ -= done.size();
    settled_.notify_all();
  }
}

base::status log::write_batch(const std::string& bytes) {
  std::int64_t active_bytes = 0, next_base = 0;
  {
    std::lock_guard lock(mutex_);
    active_bytes = segments_.back().bytes;
    next_base = durable_end_;
  }
  if (active_bytes > 0 && active_bytes + static_cast<std::int64_t>(bytes.size()) > options_.segment_bytes) {
    if (auto s = start_segment(next_base); !s) return s;
  }
  if (auto s = active_->append(bytes); !s) return s;
  // The fsync before the answer: every `done` of this batch runs after it.
  return active_->sync();
}

base::result<std::vector<stored_record>> log::read(std::int64_t from, std::size_t max_records,
                                                   std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  if (from < segments_.front().base) {
    return base::error::fail(
        fmt::format("offset {} of the embedded log {} was already deleted (it starts at {})", from, name_,
                    segments_.front().base));
  }
  durable_.wait_for(lock, wait, [&] { return durable_end_ > from || stopping_; });
  std::vector<stored_record> out;
  // A segment whose rest is a gap (records lost to damage) has nothing to give: go on to the next.
  while (out.empty() && from < durable_end_ && max_records > 0) {
    auto it = std::upper_bound(segments_.begin(), segments_.end(), from,
                               [](std::int64_t o, const segment& s) { return o < s.base; });
    const segment seg = *std::prev(it);  // a copy: the committer may grow it meanwhile
    const read_position at = last_read_;
    lock.unlock();
    auto stopped = read_segment(seg, at, from, max_records, out);
    if (!stopped) return std::move(stopped).err();
    lock.lock();
    last_read_ = *stopped;
    from = seg.base + seg.count;
  }
  return out;
}

// Records of `seg` from offset `from` into `out`, until max_records or the segment's durable end;
// starts at `at` when it is a position in this segment at or before `from`. Returns where it
// stopped.
base::result<log::read_position> log::read_segment(const segment& seg, read_position at, std::int64_t from,
                                                   std::size_t max_records, std::vector<stored_record>& out) {
  auto opened = files_.open(seg.path, open_mode::read);
  if (!opened) return std::move(opened).err();
  file& in = **opened;
  std::int64_t byte = 0, offset = seg.base;
  if (at.segment_base == seg.base && at.offset <= from && at.offset >= seg.base)
    byte = at.byte, offset = at.offset;
  auto take = [&](const frame& f) {
    if (f.gap == 0 && offset >= from)
      out.push_back(stored_record{offset, f.timestamp_ms, std::string(f.payload)});
    offset += f.offsets();
  };
  while (offset < seg.base + seg.count && out.size() < max_records) {
    auto chunk =
        in.read_at(byte, static_cast<std::size_t>(std::min<std::int64_t>(seg.bytes - byte, read_chunk)));
    if (!chunk) return std::move(chunk).err();
    std::string_view rest = *chunk;
    std::size_t used = 0;
    while (offset < seg.base + seg.count && out.size() < max_records) {
      auto f = read_frame(rest.substr(used));
      if (!f) break;
      take(*f);
      used += f->size;
    }
    if (used == 0) {
      // A record larger than the chunk: read it whole.
      auto big = in.read_at(byte, frame_header_bytes + max_record_bytes);
      if (!big) return std::move(big).err();
      auto f = read_frame(*big);
      if (!f) {
        return base::error::fail(
            fmt::format("the embedded log is damaged: {} has an unreadable record at byte {}; "
                        "restart to recover it",
                        seg.path, byte));
      }
      take(*f);
      used = f->size;
    }
    byte += static_cast<std::int64_t>(used);
  }
  return read_position{offset, seg.base, byte};
}

std::int64_t log::start_offset() const {
  std::lock_guard lock(mutex_);
  return segments_.front().base;
}

std::int64_t log::end_offset() const {
  std::lock_guard lock(mutex_);
  return durable_end_;
}

bool log::healthy() const {
  std::lock_guard lock(mutex_);
  return !broken_;
}

base::status log::release(std::int64_t consumed) {
  std::vector<std::string> doomed;
  {
    std::lock_guard lock(mutex_);
    const auto cutoff = std::filesystem::file_time_type::clock::now() - options_.retention;
    while (segments_.size() > 1 && segments_.front().base + segments_.front().count <= consumed) {
      const auto written = files_.modified(segments_.front().path);
      if (written && *written > cutoff) break;  // still within retention
      doomed.push_back(segments_.front().path);
      segments_.erase(segments_.begin());
    }
    probe_->segments.set(static_cast<std::int64_t>(segments_.size()));
  }
  for (const auto& path : doomed) {
    if (auto s = files_.remove(path); !s) return s;
    wal_log().info("log={} removed consumed segment file={}", name_, path);
  }
  return doomed.empty() ? base::status{} : files_.sync_dir(options_.dir);
}

}  // namespace clicktrail::wal
