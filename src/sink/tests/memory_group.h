#pragma once
// A topic and a consumer group in memory, for tests that need the sink's interleavings under
// control — which member owns a partition when, and a member stalled while the group moves on —
// which a real broker cannot be made to produce on cue. The end-to-end tests run the same
// scenarios against real Kafka (tests/e2e/test_sink_zombies.py); here they are deterministic.
//
// The group behaves as Kafka's does where the sink relies on it: a member hears of partitions
// gained and lost inside poll(), reading resumes at the committed offset, and a commit from a
// member that no longer owns the partition is refused (the broker's generation check) as a
// retryable error. Thread-safe: each member is polled by its own sink thread.

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "sink/source.h"

namespace clicktrail::sink::test {

// A canonical stored event, as the collector writes it; `n` makes its event_id.
inline std::string stored_event(std::int64_t n, std::int64_t collector_ts) {
  return fmt::format(
      R"({{"event_id":"01900000-0000-7000-8000-{:012x}","type":"page_view","site":"demo","collector_ts":{},)"
      R"("event_ts":{},"anonymous_id":"v{}","page_url":"https://me.github.io/post/{}","schema_version":1}})",
      n, collector_ts, collector_ts, n % 7, n);
}

class memory_group {
 public:
  explicit memory_group(int partitions) : records_(static_cast<std::size_t>(partitions)) {}

  void append(std::int32_t p, std::string value) {
    std::lock_guard lock(mutex_);
    records_.at(static_cast<std::size_t>(p)).push_back(std::move(value));
  }
  // The group's decision: `member` owns `p` from now on (-1: nobody).
  void assign(std::int32_t p, int member_id) {
    std::lock_guard lock(mutex_);
    owner_[p] = member_id;
  }
  std::optional<std::int64_t> committed(std::int32_t p) const {
    std::lock_guard lock(mutex_);
    const auto it = committed_.find(p);
    return it == committed_.end() ? std::nullopt : std::optional(it->second);
  }
  // The next `n` commits fail as when the group coordinator moves to another broker.
  void refuse_commits(int n) {
    std::lock_guard lock(mutex_);
    refused_commits_ = n;
  }
  // Rewinds the group's offset, as an operator's reset or a topic created again does.
  void forget_committed(std::int32_t p) {
    std::lock_guard lock(mutex_);
    committed_.erase(p);
  }

  class member;

 private:
  friend class member;
  mutable std::mutex mutex_;
  std::vector<std::vector<std::string>> records_;
  std::map<std::int32_t, int> owner_;
  std::map<std::int32_t, std::int64_t> committed_;
  int refused_commits_ = 0;
};

class memory_group::member final : public source {
 public:
  member(memory_group& group, int id, std::string name) : group_(group), id_(id), name_(std::move(name)) {}

  void attach(assignment_listener& listener) { listener_ = &listener; }

  base::result<std::vector<std::unique_ptr<source_record>>> poll(std::size_t max,
                                                                 std::chrono::milliseconds) override {
    // What the group decided since the last poll reaches the listener first, as in Kafka.
    std::vector<std::int32_t> lost;
    std::map<std::int32_t, std::optional<std::int64_t>> gained;
    {
      std::lock_guard lock(group_.mutex_);
      for (const auto p : told_) {
        if (group_.owner_[p] != id_) lost.push_back(p);
      }
      for (const auto& [p, owner] : group_.owner_) {
        if (owner == id_ && !told_.contains(p)) {
          const auto it = group_.committed_.find(p);
          gained[p] = it == group_.committed_.end() ? std::nullopt : std::optional(it->second);
        }
      }
    }
    if (!lost.empty()) {
      listener_->on_revoked(lost);
      for (const auto p : lost) told_.erase(p), position_.erase(p);
    }
    if (!gained.empty()) {
      const auto starts = listener_->on_assigned(gained);
      for (const auto& [p, offset] : gained) {
        told_.insert(p);
        const auto it = starts.find(p);
        position_[p] = it != starts.end() ? it->second : offset.value_or(0);
      }
    }
    std::vector<std::unique_ptr<source_record>> out;
    std::lock_guard lock(group_.mutex_);
    for (auto& [p, at] : position_) {
      const auto& records = group_.records_.at(static_cast<std::size_t>(p));
      while (out.size() < max && at < static_cast<std::int64_t>(records.size())) {
        out.push_back(std::make_unique<record>(p, at, records[static_cast<std::size_t>(at)]));
        ++at;
      }
    }
    return out;
  }

  base::result<std::optional<std::int64_t>> committed(std::int32_t p) override { return group_.committed(p); }
  std::string how_to_commit(std::int32_t p, std::int64_t offset) const override {
    return fmt::format("commit offset {} of partition {} for the test's group", offset, p);
  }

  base::status seek(std::int32_t p, std::optional<std::int64_t> offset) override {
    position_[p] = offset.value_or(0);
    return base::ok_v;
  }

  base::status commit(std::int32_t p, std::int64_t offset) override {
    std::lock_guard lock(group_.mutex_);
    if (group_.owner_[p] != id_) {
      return base::error::retry(fmt::format(
          "commit of {}[{}] refused: ILLEGAL_GENERATION (the partition has another owner)", name_, p));
    }
    if (group_.refused_commits_ > 0) {
      --group_.refused_commits_;
      return base::error::retry(fmt::format("commit of {}[{}] failed: NOT_COORDINATOR", name_, p));
    }
    group_.committed_[p] = offset;
    return base::ok_v;
  }

  base::result<std::map<std::int32_t, std::int64_t>> end_offsets(std::chrono::milliseconds) override {
    std::lock_guard lock(group_.mutex_);
    std::map<std::int32_t, std::int64_t> ends;
    for (std::size_t p = 0; p < group_.records_.size(); ++p) {
      ends[static_cast<std::int32_t>(p)] = static_cast<std::int64_t>(group_.records_[p].size());
    }
    return ends;
  }
  std::optional<std::int64_t> last_seen_end_offset(std::int32_t) const override { return std::nullopt; }
  const std::string& name() const override { return name_; }

 private:
  class record final : public source_record {
   public:
    record(std::int32_t p, std::int64_t offset, std::string value)
        : p_(p), offset_(offset), value_(std::move(value)) {}
    std::int32_t partition() const override { return p_; }
    std::int64_t offset() const override { return offset_; }
    std::optional<std::string_view> value() const override { return value_; }
    std::int64_t timestamp_ms() const override { return 0; }

   private:
    std::int32_t p_;
    std::int64_t offset_;
    std::string value_;
  };

  memory_group& group_;
  int id_;
  std::string name_;
  assignment_listener* listener_ = nullptr;
  std::set<std::int32_t> told_;                    // what the listener believes it owns
  std::map<std::int32_t, std::int64_t> position_;  // next offset to read
};

}  // namespace clicktrail::sink::test
