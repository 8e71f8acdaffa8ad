// The embedded log against a real directory: group commit from many threads, reading back,
// recovery of torn tails, segments and their release, the offset file, and SIGKILL of a writer
// process at random moments (damage_test.cc has damage, power_loss_test.cc power cuts).

#include "wal/log.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <set>
#include <thread>

#include "wal/offset_file.h"

namespace clicktrail::wal {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class wal_test : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("clicktrail-wal-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<log> open(std::int64_t segment_bytes = 64 << 20, std::chrono::milliseconds retention = 1h) {
    auto l = log::open({.dir = dir_.string(), .segment_bytes = segment_bytes, .retention = retention}, "test",
                       metrics_);
    EXPECT_TRUE(l) << (l ? "" : l.err().message);
    return l ? std::move(l).value() : nullptr;
  }

  // Appends one record at a time, each durable before the next (one commit each).
  static void append_each(log& l, const std::vector<std::string>& values) {
    for (const auto& v : values) append_all(l, {v});
  }

  // Appends and waits for every record to be durable.
  static void append_all(log& l, const std::vector<std::string>& values) {
    std::vector<std::promise<base::status>> done(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      l.append(values[i], [&done, i](base::status s) { done[i].set_value(s); });
    }
    for (auto& d : done) ASSERT_TRUE(d.get_future().get());
  }

  static std::vector<std::string> read_all(log& l, std::int64_t from = 0) {
    std::vector<std::string> out;
    while (from < l.end_offset()) {
      auto batch = l.read(from, 1000, 0ms);
      EXPECT_TRUE(batch);
      if (!batch || batch->empty()) break;
      for (auto& r : *batch) {
        EXPECT_EQ(r.offset, from);
        ++from;
        out.push_back(std::move(r.value));
      }
    }
    return out;
  }

  std::vector<fs::path> segments() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }

  base::registry metrics_;
  fs::path dir_;
};

TEST_F(wal_test, appends_from_many_threads_are_durable_in_one_order_and_read_back) {
  auto l = open();
  std::vector<std::thread> writers;
  std::atomic<int> acked{0};
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        std::promise<base::status> done;
        l->append(fmt::format("t{}-{}", t, i), [&](base::status s) { done.set_value(s); });
        if (done.get_future().get()) ++acked;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(acked, 2000);
  EXPECT_EQ(l->end_offset(), 2000);
  const auto values = read_all(*l);
  EXPECT_EQ(std::set<std::string>(values.begin(), values.end()).size(), 2000u);
  const auto text = metrics_.expose();
  const auto at = text.find("clicktrail_wal_commits_total{log=\"test\"} ");
  ASSERT_NE(at, std::string::npos);
  const auto commits = std::stoll(text.substr(at + 41));
  EXPECT_LT(commits, 2000) << "group commit: fewer fsyncs than records when writers overlap";
}

TEST_F(wal_test, settle_runs_every_owed_callback_then_refuses_appends_and_reads_go_on) {
  auto l = open();
  std::atomic<int> ok = 0, failed = 0;
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < 200; ++i) l->append("record", [&](base::status s) { ++(s ? ok : failed); });
    });
  }
  std::this_thread::sleep_for(2ms);  // some appended, some still to come
  l->settle();
  const int settled = ok + failed;  // every callback owed when settle returned has run...
  for (auto& w : writers) w.join();
  EXPECT_EQ(ok + failed, 800);  // ...and the later appends were answered at once
  EXPECT_EQ(failed, 800 - ok);
  EXPECT_GE(settled, ok.load());  // nothing was made durable after settle returned
  // Reads go on: every acknowledged record is there.
  auto records = l->read(0, 1000, 0ms);
  ASSERT_TRUE(records) << records.err().message;
  EXPECT_EQ(static_cast<int>(records->size()), ok.load());
  base::status refused;
  l->append("late", [&](base::status s) { refused = std::move(s); });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.err().what, base::outcome::retry);
}

TEST_F(wal_test, a_reopened_log_has_every_record_and_continues_its_offsets) {
  {
    auto l = open();
    append_all(*l, {"a", "b", "c"});
  }
  auto l = open();
  EXPECT_EQ(l->end_offset(), 3);
  append_all(*l, {"d"});
  EXPECT_EQ(read_all(*l), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(read_all(*l, 2), (std::vector<std::string>{"c", "d"}));
}

TEST_F(wal_test, offsets_never_fall_below_what_the_reader_has_written_out) {
  // The reader (the sink) committed 10, but the log holds 5 records: the rest were lost from the
  // log after they were stored. New records must not get offsets 5…9, which the reader has.
  append_each(*open(), {"a", "b", "c", "d", "e"});
  {
    auto l = log::open({.dir = dir_.string(), .continue_from = 10}, "test", metrics_);
    ASSERT_TRUE(l) << l.err().message;
    EXPECT_EQ((*l)->end_offset(), 10);
    append_each(**l, {"f"});
    auto from_five = (*l)->read(5, 10, 0ms);
    ASSERT_TRUE(from_five);
    ASSERT_EQ(from_five->size(), 1u);
    EXPECT_EQ(from_five->front().offset, 10) << "the gap is skipped";
    EXPECT_EQ(from_five->front().value, "f");
  }
  auto reopened = open();
  EXPECT_EQ(reopened->end_offset(), 11) << "the gap is durable";
  auto all = reopened->read(0, 100, 0ms);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 6u);
  EXPECT_EQ(all->back().offset, 10);
}

TEST_F(wal_test, a_torn_tail_is_cut_at_the_last_whole_record) {
  {
    auto l = open();
    append_all(*l, {"first", "second"});
  }
  const auto seg = segments().back();
  const auto whole = fs::file_size(seg);
  {
    std::ofstream out(seg, std::ios::binary | std::ios::app);
    out << std::string("\x20\x00\x00\x00\x11\x22", 6);  // a frame header cut short by a crash
  }
  auto l = open();
  EXPECT_EQ(l->end_offset(), 2);
  EXPECT_EQ(fs::file_size(seg), whole);
  append_all(*l, {"third"});
  EXPECT_EQ(read_all(*l), (std::vector<std::string>{"first", "second", "third"}));
}

TEST_F(wal_test, a_record_whose_checksum_fails_at_the_end_is_a_torn_write) {
  {
    auto l = open();
    append_all(*l, {"kept", "flipped"});
  }
  const auto seg = segments().back();
  {
    std::fstream f(seg, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(fs::file_size(seg) - 1));
    f.put('X');
  }
  auto l = open();
  EXPECT_EQ(read_all(*l), (std::vector<std::string>{"kept"}));
}

TEST_F(wal_test, segments_roll_are_read_across_and_released_once_consumed) {
  auto l = open(256, 0ms);
  std::vector<std::string> values;
  for (int i = 0; i < 40; ++i) values.push_back(fmt::format("record-{:03}-{}", i, std::string(20, 'x')));
  append_each(*l, values);
  const auto before = segments().size();
  EXPECT_GT(before, 5u);
  EXPECT_EQ(read_all(*l), values);
  ASSERT_TRUE(l->release(20));
  EXPECT_LT(segments().size(), before);
  EXPECT_GT(l->start_offset(), 0);
  EXPECT_LE(l->start_offset(), 20);
  EXPECT_FALSE(l->read(0, 10, 0ms)) << "released records are gone, and reading them says so";
  EXPECT_EQ(read_all(*l, 20), std::vector<std::string>(values.begin() + 20, values.end()));
  ASSERT_TRUE(l->release(40));
  EXPECT_EQ(segments().size(), 1u) << "the newest segment stays, so offsets continue";
  l.reset();
  auto again = open(256, 0ms);
  EXPECT_EQ(again->end_offset(), 40);
}

TEST_F(wal_test, retention_keeps_consumed_segments_for_a_while) {
  auto l = open(64, 1h);
  append_each(*l, {std::string(50, 'a'), std::string(50, 'b'), std::string(50, 'c')});
  const auto before = segments().size();
  ASSERT_TRUE(l->release(3));
  EXPECT_EQ(segments().size(), before);
}

TEST_F(wal_test, a_reader_waits_for_durable_records) {
  auto l = open();
  auto reader = std::async(std::launch::async, [&] { return l->read(0, 10, 5s); });
  std::this_thread::sleep_for(50ms);
  append_all(*l, {"late"});
  auto got = reader.get();
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].value, "late");
  EXPECT_GT((*got)[0].timestamp_ms, 0);
}

TEST_F(wal_test, offset_file_is_replaced_whole_and_refuses_garbage_with_the_fix) {
  fs::create_directories(dir_);
  offset_file f((dir_ / "sink.offset").string());
  EXPECT_EQ(*f.load(), std::nullopt);
  ASSERT_TRUE(f.store(42));
  EXPECT_EQ(**f.load(), 42);
  ASSERT_TRUE(f.store(43));
  EXPECT_EQ(**f.load(), 43);
  EXPECT_FALSE(fs::exists(dir_ / "sink.offset.tmp"));
  std::ofstream(dir_ / "sink.offset") << "forty";
  auto bad = f.load();
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.err().message.find("Delete it"), std::string::npos);
}

TEST_F(wal_test, sigkill_of_a_writer_at_random_moments_loses_no_acknowledged_record) {
  std::mt19937 rng(11);
  std::int64_t acked_before = 0;
  for (int round = 0; round < 20; ++round) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(pipe_fds[0]);
      base::registry m;
      auto l = log::open({.dir = dir_.string(), .segment_bytes = 4096}, "child", m);
      if (!l) ::_exit(2);
      for (int i = 0;; ++i) {
        std::promise<base::status> done;
        (*l)->append(fmt::format("r{}-{}", ::getpid(), i), [&](base::status s) { done.set_value(s); });
        if (!done.get_future().get()) ::_exit(3);
        const std::int64_t end = (*l)->end_offset();
        if (::write(pipe_fds[1], &end, sizeof end) != sizeof end) ::_exit(4);
      }
    }
    ::close(pipe_fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(5, 80)(rng)));
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    std::int64_t end = 0, acked = acked_before;
    while (::read(pipe_fds[0], &end, sizeof end) == sizeof end) acked = end;
    ::close(pipe_fds[0]);
    auto l = open(4096);
    ASSERT_TRUE(l);
    EXPECT_GE(l->end_offset(), acked) << "round " << round << ": an acknowledged record is missing";
    acked_before = l->end_offset();
  }
  auto l = open(4096);
  const auto values = read_all(*l);
  EXPECT_EQ(static_cast<std::int64_t>(values.size()), l->end_offset());
  EXPECT_GT(values.size(), 100u);
}

}  // namespace
}  // namespace clicktrail::wal
