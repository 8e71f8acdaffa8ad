// Following a log from outside its owner: records in order with their offsets, from the start or
// the end, across segments, at a partial frame, past damage, through deletion and replacement of
// a segment, while a log appends from another thread — and without a single write to the log's
// files.

#include "wal/follower.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "wal/record_format.h"
#include "wal/segment_recovery.h"

namespace clicktrail::wal {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The real files, with every open mode recorded: a follower must only ever read.
class recording_files final : public file_system {
 public:
  base::result<std::unique_ptr<file>> open(const std::string& path, open_mode mode) override {
    {
      std::lock_guard lock(mutex_);
      modes_.insert(mode);
    }
    return posix_files().open(path, mode);
  }
  base::result<std::vector<std::string>> list(const std::string& dir) override {
    return posix_files().list(dir);
  }
  base::status rename(const std::string&, const std::string&) override { return refuse("rename"); }
  base::status remove(const std::string&) override { return refuse("remove"); }
  base::status sync_dir(const std::string&) override { return refuse("sync_dir"); }
  base::status make_dirs(const std::string&) override { return refuse("make_dirs"); }
  base::result<std::filesystem::file_time_type> modified(const std::string& path) override {
    return posix_files().modified(path);
  }

  std::set<open_mode> modes() const {
    std::lock_guard lock(mutex_);
    return modes_;
  }
  int refused() const { return refused_; }

 private:
  base::status refuse(const char* what) {
    ++refused_;
    return base::error::fail(fmt::format("a follower called {}", what));
  }
  mutable std::mutex mutex_;
  std::set<open_mode> modes_;
  std::atomic<int> refused_{0};
};

class follower_test : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("clicktrail-follower-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override {
    EXPECT_EQ(files_.refused(), 0);
    for (const auto mode : files_.modes()) {
      EXPECT_TRUE(mode == open_mode::read || mode == open_mode::read_if_exists) << static_cast<int>(mode);
    }
    fs::remove_all(dir_);
  }

  std::unique_ptr<log> open_log(std::int64_t segment_bytes = 64 << 20,
                                std::chrono::milliseconds retention = 1h) {
    auto l = log::open({.dir = dir_.string(), .segment_bytes = segment_bytes, .retention = retention}, "test",
                       metrics_);
    EXPECT_TRUE(l) << (l ? "" : l.err().message);
    return l ? std::move(l).value() : nullptr;
  }

  std::unique_ptr<follower> follow(follower::start from) {
    auto f = follower::open(dir_.string(), from, files_);
    EXPECT_TRUE(f) << (f ? "" : f.err().message);
    return f ? std::move(f).value() : nullptr;
  }

  static void append_all(log& l, const std::vector<std::string>& values) {
    std::vector<std::promise<base::status>> done(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      l.append(values[i], [&done, i](base::status s) { done[i].set_value(s); });
    }
    for (auto& d : done) ASSERT_TRUE(d.get_future().get());
  }

  // Every record a poll hands out, as "offset:value".
  static std::vector<std::string> poll(follower& f, std::size_t max = 1000) {
    auto got = f.poll(max);
    EXPECT_TRUE(got) << (got ? "" : got.err().message);
    std::vector<std::string> out;
    if (got) {
      for (const auto& r : *got) out.push_back(fmt::format("{}:{}", r.offset, r.value));
    }
    return out;
  }

  static std::string frames(std::int64_t first, int count) {
    std::string out;
    for (int i = 0; i < count; ++i) append_frame(out, 1'764'000'000'000, fmt::format("r{}", first + i));
    return out;
  }

  void write_file(const fs::path& path, const std::string& bytes, bool append = false) const {
    std::ofstream out(path, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
    out << bytes;
  }
  fs::path segment(std::int64_t base) const { return segment_path(dir_.string(), base); }

  fs::path dir_;
  base::registry metrics_;
  recording_files files_;
};

TEST_F(follower_test, from_the_beginning_hands_out_every_record_with_its_offset_then_new_ones) {
  auto l = open_log();
  append_all(*l, {"a", "b", "c"});
  auto f = follow(follower::start::beginning);
  EXPECT_EQ(poll(*f, 2), (std::vector<std::string>{"0:a", "1:b"}));
  EXPECT_EQ(poll(*f), (std::vector<std::string>{"2:c"}));
  EXPECT_TRUE(poll(*f).empty());
  append_all(*l, {"d"});
  EXPECT_EQ(poll(*f), (std::vector<std::string>{"3:d"}));
  EXPECT_EQ(f->next_offset(), 4);
}

TEST_F(follower_test, from_the_end_hands_out_only_what_is_appended_after_it_opened) {
  auto l = open_log();
  append_all(*l, {"old", "older"});
  auto f = follow(follower::start::end);
  EXPECT_EQ(f->next_offset(), 2);
  EXPECT_TRUE(poll(*f).empty());
  append_all(*l, {"new"});
  EXPECT_EQ(poll(*f), (std::vector<std::string>{"2:new"}));
}

TEST_F(follower_test, waits_at_a_partial_frame_until_it_is_whole) {
  fs::create_directories(dir_);
  const std::string third = frames(2, 1);
  write_file(segment(0), frames(0, 2) + third.substr(0, 10));
  auto f = follow(follower::start::beginning);
  EXPECT_EQ(poll(*f), (std::vector<std::string>{"0:r0", "1:r1"}));
  EXPECT_TRUE(poll(*f).empty());
  EXPECT_TRUE(poll(*f).empty());
  write_file(segment(0), third.substr(10), true);
  EXPECT_EQ(poll(*f), (std::vector<std::string>{"2:r2"}));
}

TEST_F(follower_test, goes_on_across_segments_and_reads_a_frame_larger_than_its_reads) {
  auto l = open_log(1024);
  std::vector<std::string> values, want;
  for (std::size_t i = 0; i < 300; ++i)
    values.push_back(fmt::format("value-{}-{}", i, std::string(i % 50, 'x')));
  values.push_back(std::string(3u << 20, 'L'));  // over the follower's 1 MiB reads
  auto f = follow(follower::start::beginning);
  for (const auto& v : values) append_all(*l, {v});
  ASSERT_GT(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 10);
  std::vector<std::string> got;
  for (int i = 0; i < 100 && got.size() < values.size(); ++i) {
    for (auto& r : poll(*f, 7)) got.push_back(std::move(r));
  }
  for (std::size_t i = 0; i < values.size(); ++i) want.push_back(fmt::format("{}:{}", i, values[i]));
  EXPECT_EQ(got, want);
}

TEST_F(follower_test, reads_a_segment_that_retention_deletes_to_its_end) {
  auto l = open_log(64, 0ms);
  append_all(*l, {"a", "b"});
  auto f = follow(follower::start::beginning);
  EXPECT_EQ(poll(*f, 1), (std::vector<std::string>{"0:a"}));
  append_all(*l, {"c", "d"});  // past 64 bytes: in newer segments
  ASSERT_TRUE(l->release(3));
  ASSERT_FALSE(fs::exists(segment(0)));
  EXPECT_EQ(poll(*f), (std::vector<std::string>{"1:b", "2:c", "3:d"}));
}

TEST_F(follower_test, skips_damage_in_a_finished_segment_and_says_where_it_goes_on) {
  fs::create_directories(dir_);
  write_file(segment(0), frames(0, 2) + std::string(40, '\x7f'));
  auto f = follow(follower::start::beginning);
  EXPECT_EQ(poll(*f), (std::vector<std::string>{"0:r0", "1:r1"}));
  EXPECT_TRUE(poll(*f).empty());  // the newest segment: waits, as for a write in progress
  write_file(segment(5), frames(5, 1));
  EXPECT_EQ(poll(*f), (std::vector<std::string>{"5:r5"}));
}

TEST_F(follower_test, reads_on_from_its_offset_in_a_segment_rebuilt_under_the_same_name) {
  fs::create_directories(dir_);
  write_file(segment(0), frames(0, 2) + std::string(40, '\x7f'));
  auto f = follow(follower::start::beginning);
  EXPECT_EQ(poll(*f), (std::vector<std::string>{"0:r0", "1:r1"}));
  // What a restarted owner does with it (segment_recovery.h): whole frames kept, a gap for what
  // was lost, the original moved aside; then it appends.
  std::string rebuilt = frames(0, 2);
  append_gap_frame(rebuilt, 1'764'000'000'000, 1);
  write_file(dir_ / "rebuild", rebuilt + frames(3, 1));
  fs::rename(segment(0), dir_ / "00000000000000000000.seg.damaged");
  fs::rename(dir_ / "rebuild", segment(0));
  EXPECT_EQ(poll(*f), (std::vector<std::string>{"3:r3"}));
}

TEST_F(follower_test, follows_an_empty_directory_from_its_first_segment) {
  fs::create_directories(dir_);
  auto f = follow(follower::start::end);
  EXPECT_TRUE(poll(*f).empty());
  auto l = open_log();
  append_all(*l, {"first"});
  EXPECT_EQ(poll(*f), (std::vector<std::string>{"0:first"}));
}

TEST_F(follower_test, a_missing_directory_fails_naming_it) {
  auto f = follower::open(dir_.string(), follower::start::end, files_);
  ASSERT_FALSE(f);
  EXPECT_NE(f.err().message.find(dir_.string()), std::string::npos) << f.err().message;
}

TEST_F(follower_test, sees_every_record_once_in_order_while_a_log_appends_in_batches) {
  auto l = open_log(16 << 10);
  auto f = follow(follower::start::end);
  constexpr std::size_t total = 5000;
  std::thread writer([&] {
    for (std::size_t i = 0; i < total; i += 50) {
      std::vector<std::string> batch;
      for (std::size_t j = i; j < i + 50; ++j)
        batch.push_back(fmt::format("{}:{}", j, std::string(j % 97, 'v')));
      append_all(*l, batch);
    }
  });
  std::vector<std::string> got;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (got.size() < total && std::chrono::steady_clock::now() < deadline) {
    auto batch = poll(*f, 64);
    if (batch.empty()) std::this_thread::sleep_for(1ms);
    for (auto& r : batch) got.push_back(std::move(r));
  }
  writer.join();
  ASSERT_EQ(got.size(), total);
  for (std::size_t i = 0; i < total; ++i) {
    // "offset:value", and each value starts with its own offset.
    ASSERT_TRUE(got[i].starts_with(fmt::format("{}:{}:", i, i))) << got[i];
  }
}

}  // namespace
}  // namespace clicktrail::wal
