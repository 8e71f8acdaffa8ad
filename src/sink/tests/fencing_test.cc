// Fencing (docs/sink.md): a sink that stalls while its consumer group gives its partition to
// another sink must not change what the new owner owns when it wakes up — not publish files, not
// rewrite the intent object, not commit. Each case stalls a real sink thread inside a real store
// call (faulty_store's hold) at a chosen point, moves the partition to a second sink, lets the
// first go on, and checks that the store holds every record exactly once. Both stores: a local
// directory, and the S3 server of `./dev services start` (skipped without it).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <thread>

#include "sink/intent.h"
#include "sink/sink.h"
#include "sink/tests/memory_group.h"
#include "store/local_store.h"
#include "store/testing/faulty_store.h"
#include "store/tests/s3_test_support.h"

namespace clicktrail::sink {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::memory_group;
using test::stored_event;

constexpr std::int64_t hour_ms = 3'600'000;
constexpr std::int64_t base_ts = 1'795'600'800'000;  // 2026-11-25T07:20:00Z

enum class kind { local, s3 };

// A sink on its own thread, reading as one member of the group.
class running_sink {
 public:
  running_sink(memory_group& group, int id, store::object_store& store, sink_options options,
               base::registry& metrics)
      : source_(group, id, "clicktrail.events"), sink_(source_, store, std::move(options), metrics) {
    source_.attach(sink_);
    finished_ = std::async(std::launch::async, [this] { return sink_.run(sink::mode::forever); });
  }
  ~running_sink() {
    if (finished_.valid()) {
      sink_.stop();
      (void)finished_.get();
    }
  }
  // Reads what the group holds now, completes and commits it, and returns how run() ended.
  base::status drain() {
    sink_.drain_and_stop();
    return finished_.get();
  }
  // How run() ended, when it ends by itself within `timeout` (nullopt: still running).
  std::optional<base::status> ended(std::chrono::milliseconds timeout) {
    if (finished_.wait_for(timeout) != std::future_status::ready) return std::nullopt;
    return finished_.get();
  }
  sink& the_sink() { return sink_; }

 private:
  memory_group::member source_;
  sink sink_;
  std::future<base::status> finished_;
};

class fencing : public ::testing::TestWithParam<kind> {
 public:
  void SetUp() override {
    if (GetParam() == kind::s3) {
      REQUIRE_S3();
      inner_ = store::test::open_test_store(metrics_);
    } else {
      // One directory, not two: a parameterized test's name ends in "/local".
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(name.begin(), name.end(), '/', '-');
      dir_ = fs::temp_directory_path() / ("clicktrail-fencing-" + std::to_string(::getpid()) + "-" + name);
      fs::remove_all(dir_);
      auto s = store::local_store::open(dir_.string(), metrics_);
      ASSERT_TRUE(s) << s.err().message;
      inner_ = std::move(*s);
    }
    stalling_ = std::make_unique<store::faulty_store>(*inner_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  static sink_options options() {
    sink_options o;
    o.format = config::output_format::jsonl;
    o.codec = config::compression::none;
    o.max_records = 100;  // files close by count, on cue
    o.max_age = std::chrono::hours(1);
    return o;
  }

  // Appends events n in [from, to) to partition 0: one hour, or `hours` interleaved.
  void produce(std::int64_t from, std::int64_t to, int hours = 1) {
    for (std::int64_t n = from; n < to; ++n)
      group_.append(0, stored_event(n, base_ts + (n % hours) * hour_ms + n));
  }

  // The event numbers in the store's events table, as many times as they are there. Each must be
  // in a file of its own hour (the key's hour=HH), with hours interleaved in the records.
  std::vector<std::int64_t> stored() {
    std::vector<std::int64_t> out;
    auto objects = inner_->list("events/");
    EXPECT_TRUE(objects) << objects.err().message;
    for (const auto& o : *objects) {
      const std::string bytes = **inner_->get(o.key);
      const auto hour_at = o.key.find("hour=");
      if (hour_at == std::string::npos) {
        ADD_FAILURE() << o.key << " names no hour";
        continue;
      }
      const int file_hour = std::stoi(o.key.substr(hour_at + 5, 2));
      for (std::size_t at = 0; at < bytes.size();) {
        const auto nl = bytes.find('\n', at);
        const std::string line = bytes.substr(at, nl - at);
        const auto id = line.find("8000-");
        EXPECT_NE(id, std::string::npos) << line;
        out.push_back(std::stoll(line.substr(id + 5, 12), nullptr, 16));
        const auto ts_at = line.find("\"collector_ts\":");
        EXPECT_NE(ts_at, std::string::npos) << line;
        const std::int64_t ts = std::stoll(line.substr(ts_at + 15));
        EXPECT_EQ(ts / hour_ms % 24, file_hour) << line << " is in " << o.key;
        at = nl + 1;
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  static std::vector<std::int64_t> numbers(std::int64_t from, std::int64_t to) {
    std::vector<std::int64_t> out;
    for (std::int64_t n = from; n < to; ++n) out.push_back(n);
    return out;
  }

  intent current_intent() {
    const auto text = inner_->get(intent_key("clicktrail.events", 0));
    EXPECT_TRUE(text && *text);
    return *decode_intent(**text);
  }

  // Waits until the group's committed offset of partition 0 reaches `offset`.
  bool committed_reaches(std::int64_t offset, std::chrono::seconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (group_.committed(0).value_or(-1) < offset) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }

  base::registry metrics_;
  fs::path dir_;
  std::unique_ptr<store::object_store> inner_;
  std::unique_ptr<store::faulty_store> stalling_;  // the first sink's way to the store
  memory_group group_{1};
};

TEST_P(fencing, a_publish_that_arrives_after_the_takeover_is_refused) {
  group_.assign(0, 1);
  produce(0, 150);
  running_sink a(group_, 1, *stalling_, options(), metrics_);
  ASSERT_TRUE(committed_reaches(100)) << "the first file is in and committed";

  // A's next publish stalls: the file of records 100…199, complete but not yet in the store.
  stalling_->inject({.at = store::fault_point::commit, .hold = true});
  produce(150, 250);
  ASSERT_TRUE(stalling_->wait_until_held());

  // The group gives the partition to B, which takes it over and writes 100…249 itself.
  group_.assign(0, 2);
  {
    running_sink b(group_, 2, *inner_, options(), metrics_);
    ASSERT_TRUE(committed_reaches(200));
    // A wakes: its publish lands now, long after B's takeover, and must be refused.
    stalling_->release();
    std::this_thread::sleep_for(500ms);
    EXPECT_FALSE(a.ended(0ms)) << "A drops the partition and goes on, it does not stop";
    ASSERT_TRUE(b.drain());
  }
  EXPECT_EQ(stored(), numbers(0, 250)) << "every record once: A's late file did not land";
  EXPECT_EQ(current_intent().generation, 2);
  EXPECT_EQ(store::test::metric(metrics_, "clicktrail_sink_fenced_partitions_total"), 1u);
}

TEST_P(fencing, an_intent_write_that_arrives_after_the_takeover_is_refused) {
  group_.assign(0, 1);
  produce(0, 100);
  running_sink a(group_, 1, *stalling_, options(), metrics_);
  ASSERT_TRUE(committed_reaches(100));

  // A stalls writing the intent for its next file: the write would list A's file and drop B's.
  stalling_->inject({.at = store::fault_point::put_if, .hold = true});
  produce(100, 130);
  ASSERT_TRUE(stalling_->wait_until_held());
  group_.assign(0, 2);
  store::faulty_store b_store(*inner_);
  {
    running_sink b(group_, 2, b_store, options(), metrics_);
    produce(130, 180, 2);  // B opens files for two hours: they are in its intent now
    std::this_thread::sleep_for(500ms);
    stalling_->release();
    std::this_thread::sleep_for(500ms);
    const intent after = current_intent();
    EXPECT_EQ(after.generation, 2) << "A's late write did not replace B's intent";
    EXPECT_EQ(after.files.size(), 2u) << "B's two open files stay listed";
    // B dies without committing (its store fails for good): its open files stay in its intent,
    // for the next owner to retire.
    b_store.inject({.at = store::fault_point::commit, .times = 1000, .outcome = base::outcome::fail});
    b_store.inject({.at = store::fault_point::put_if, .times = 1000, .outcome = base::outcome::fail});
    produce(180, 300, 2);
    const auto ended = b.ended(30s);
    ASSERT_TRUE(ended && !*ended) << "B stops on a store that fails for good";
  }
  group_.assign(0, 3);
  running_sink c(group_, 3, *inner_, options(), metrics_);
  ASSERT_TRUE(c.drain());
  EXPECT_EQ(stored(), numbers(0, 300));
  EXPECT_EQ(current_intent().generation, 3);
}

TEST_P(fencing, uploads_in_progress_at_the_takeover_never_publish) {
  // Files of 100 records stay open while the stall lasts; the new owner retires their keys, so the
  // stalled owner's uploads — begun, listed, never published — cannot publish when it wakes.
  group_.assign(0, 1);
  produce(0, 60, 2);
  running_sink a(group_, 1, *stalling_, options(), metrics_);
  std::this_thread::sleep_for(500ms);
  stalling_->inject({.at = store::fault_point::write, .hold = true});  // one of A's next writes
  produce(60, 260, 2);
  ASSERT_TRUE(stalling_->wait_until_held());
  group_.assign(0, 2);
  {
    running_sink b(group_, 2, *inner_, options(), metrics_);
    ASSERT_TRUE(committed_reaches(200));
    stalling_->release();
    std::this_thread::sleep_for(500ms);
    ASSERT_TRUE(b.drain());
  }
  EXPECT_EQ(stored(), numbers(0, 260));
}

// Z is assigned the partition and stalls inside its takeover (`where`). The group moves the
// partition to B, which writes and commits. Z wakes with the group's offset it was given at its
// assignment, long stale, and goes on taking the partition over — though the group no longer
// gives it the partition. Neither may stop on a false alarm, and nothing may be lost.
void stall_in_takeover(fencing& t, memory_group& group, store::faulty_store& stalling,
                       store::object_store& inner, base::registry& metrics, store::fault_point where) {
  group.assign(0, 1);
  stalling.inject({.at = where, .hold = true});
  running_sink z(group, 1, stalling, fencing::options(), metrics);
  ASSERT_TRUE(stalling.wait_until_held());
  group.assign(0, 2);
  t.produce(0, 150);
  running_sink b(group, 2, inner, fencing::options(), metrics);
  ASSERT_TRUE(t.committed_reaches(100));
  stalling.release();
  std::this_thread::sleep_for(1500ms);
  t.produce(150, 320);
  ASSERT_TRUE(t.committed_reaches(300));
  EXPECT_FALSE(b.ended(0ms)) << "B takes the partition back if it must, and goes on";
  EXPECT_FALSE(z.ended(0ms)) << "Z gives the partition up and goes on";
  ASSERT_TRUE(b.drain());
  EXPECT_EQ(t.stored(), fencing::numbers(0, 320));
}

TEST_P(fencing, a_sink_that_stalled_reading_the_intent_in_its_takeover_does_no_harm) {
  stall_in_takeover(*this, group_, *stalling_, *inner_, metrics_, store::fault_point::get);
}

TEST_P(fencing, a_sink_that_stalled_swapping_the_intent_in_its_takeover_does_no_harm) {
  stall_in_takeover(*this, group_, *stalling_, *inner_, metrics_, store::fault_point::put_if);
}

TEST_P(fencing, a_commit_the_group_did_not_hear_of_resumes_from_the_intent) {
  // The intent is the commit record; the group's offset follows it. A sink whose group commits
  // fail from some point on still commits, and the next owner resumes where the intent says, not
  // where the group does.
  group_.assign(0, 1);
  produce(0, 100);
  {
    running_sink a(group_, 1, *inner_, options(), metrics_);
    ASSERT_TRUE(committed_reaches(100));
    group_.refuse_commits(1'000'000);
    produce(100, 250);
    ASSERT_TRUE(a.drain());
  }
  EXPECT_EQ(group_.committed(0), 100);
  EXPECT_EQ(current_intent().committed, 250);
  group_.refuse_commits(0);
  produce(250, 300);
  group_.assign(0, 2);
  running_sink b(group_, 2, *inner_, options(), metrics_);
  ASSERT_TRUE(b.drain());
  EXPECT_EQ(stored(), numbers(0, 300)) << "no record written twice";
}

TEST_P(fencing, a_writer_outside_the_group_stops_the_sink_with_the_cause) {
  // Two groups (two sinks with different sink.group_id) both own partition 0 of one topic and
  // write the same output: each takes the other's claim, and neither is ever revoked.
  memory_group other(1);  // the same topic, read by another group
  group_.assign(0, 1);
  other.assign(0, 1);
  running_sink a(group_, 1, *inner_, options(), metrics_);
  running_sink b(other, 1, *inner_, options(), metrics_);
  std::this_thread::sleep_for(300ms);  // both have taken the partition over, A then B
  std::optional<base::status> ended;
  for (std::int64_t n = 0; n < 40'000 && !ended; n += 100) {
    produce(n, n + 100);
    for (std::int64_t i = n; i < n + 100; ++i) other.append(0, stored_event(i, base_ts + i));
    std::this_thread::sleep_for(50ms);
    ended = a.ended(0ms);
    if (!ended) ended = b.ended(0ms);
  }
  ASSERT_TRUE(ended) << "one of them must stop: each still owns the partition in its group";
  ASSERT_FALSE(*ended);
  EXPECT_NE(ended->err().message.find("different sink.group_id"), std::string::npos) << ended->err().message;
}

TEST_P(fencing, offsets_that_go_back_stop_the_partition_with_the_fix) {
  group_.assign(0, 1);
  produce(0, 120);
  {
    running_sink a(group_, 1, *inner_, options(), metrics_);
    ASSERT_TRUE(a.drain());
  }
  const auto before = stored();
  ASSERT_EQ(before, numbers(0, 120));
  auto listing = *inner_->list("events/");

  // The topic is deleted and created again: the group's offset is gone, new records start at 0.
  group_.forget_committed(0);
  memory_group again(1);
  for (std::int64_t n = 0; n < 80; ++n) again.append(0, stored_event(5000 + n, base_ts));
  again.assign(0, 1);
  {
    running_sink refused(again, 1, *inner_, options(), metrics_);
    const auto ended = refused.ended(30s);
    ASSERT_TRUE(ended && !*ended);
    const std::string& why = ended->err().message;
    EXPECT_NE(why.find("up to offset 120"), std::string::npos) << why;
    EXPECT_NE(why.find("--accept-offset-reset"), std::string::npos) << why;
    EXPECT_NE(why.find("commit offset 120 of partition 0"), std::string::npos)
        << why;  // the source's own way
  }
  EXPECT_EQ(stored(), before) << "nothing written";

  auto accepting = options();
  accepting.accept_offset_reset = true;
  {
    running_sink accepted(again, 1, *inner_, accepting, metrics_);
    ASSERT_TRUE(accepted.drain());
  }
  auto expected = numbers(0, 120);
  for (const auto n : numbers(5000, 5080)) expected.push_back(n);
  EXPECT_EQ(stored(), expected) << "the new records under new keys; the old ones untouched";
  for (const auto& o : listing) EXPECT_EQ((*inner_->head(o.key))->size, o.size) << o.key;
}

TEST_P(fencing, commits_refused_for_a_while_are_tried_again) {
  // The coordinator moves (a broker restarts): commits fail for a while, which must not stop the
  // sink; the same commit goes through at a later turn.
  group_.assign(0, 1);
  group_.refuse_commits(5);
  produce(0, 100);
  running_sink a(group_, 1, *inner_, options(), metrics_);
  ASSERT_TRUE(committed_reaches(100));
  EXPECT_FALSE(a.ended(0ms));
  EXPECT_EQ(store::test::metric(metrics_, "clicktrail_sink_commit_retries_total"), 5u);
  produce(100, 150);
  ASSERT_TRUE(a.drain());
  EXPECT_EQ(stored(), numbers(0, 150));
}

TEST_P(fencing, the_group_holds_an_offset_before_the_intent_commits_past_it) {
  // A crash between a partition's first intent commit and the group's would leave the intent
  // ahead of a group with no offset, which a restart takes for lost offsets and stops on. So the
  // group is given an offset first, and while it refuses, the intent does not move.
  group_.assign(0, 1);
  group_.refuse_commits(3);
  produce(0, 100);
  running_sink a(group_, 1, *inner_, options(), metrics_);
  const auto intent_committed = [this]() -> std::int64_t {
    const auto text = inner_->get(intent_key("clicktrail.events", 0));
    return text && *text ? decode_intent(**text)->committed : 0;  // no intent yet: nothing committed
  };
  bool intent_ahead_of_an_empty_group = false;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (intent_committed() < 100 && std::chrono::steady_clock::now() < deadline) {
    if (intent_committed() > 0 && !group_.committed(0)) intent_ahead_of_an_empty_group = true;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(current_intent().committed, 100);
  EXPECT_FALSE(intent_ahead_of_an_empty_group);
  EXPECT_TRUE(group_.committed(0).has_value());
  ASSERT_TRUE(a.drain());
  EXPECT_EQ(stored(), numbers(0, 100));
}

INSTANTIATE_TEST_SUITE_P(stores, fencing, ::testing::Values(kind::local, kind::s3),
                         [](const auto& p) { return p.param == kind::s3 ? "s3" : "local"; });

}  // namespace
}  // namespace clicktrail::sink
