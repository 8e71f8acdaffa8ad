// Damage before the tail, with real files: the segment is moved aside (never deleted), every
// readable record is kept at an offset that never goes back, the log goes on, and it says so in
// an error line and in metrics. A torn tail stays a quiet, counted cut. A power cut in the middle
// of moving a segment aside leaves the same result.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <sstream>

#include "base/log.h"
#include "wal/log.h"
#include "wal/offset_file.h"
#include "wal/testing/crash_file_system.h"

namespace clicktrail::wal {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Each record is frame_header_bytes (16) + 50 bytes: record i of a segment starts at byte 66 * i.
constexpr std::int64_t frame_bytes = 66;

std::string value(int i) {
  return fmt::format("record-{:03}-{}", i, std::string(39, 'x'));
}

// What the "wal" logger writes while it lives.
class captured_log {
 public:
  captured_log() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(text_)) {
    base::logger_for("wal").sinks().push_back(sink_);
  }
  ~captured_log() {
    auto& sinks = base::logger_for("wal").sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  captured_log(const captured_log&) = delete;
  captured_log& operator=(const captured_log&) = delete;
  std::string text() const { return text_.str(); }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

class wal_damage : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("clicktrail-damage-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  base::result<std::unique_ptr<log>> open(base::registry& metrics, file_system& files = posix_files()) {
    return log::open({.dir = dir_.string(), .segment_bytes = segment_bytes_, .files = &files}, "test",
                     metrics);
  }

  // A log of `n` records, each appended (and durable) before the next.
  void write_records(int n) {
    base::registry metrics;
    auto l = open(metrics);
    ASSERT_TRUE(l) << l.err().message;
    for (int i = 0; i < n; ++i) {
      std::promise<base::status> done;
      (*l)->append(value(i), [&](base::status s) { done.set_value(std::move(s)); });
      ASSERT_TRUE(done.get_future().get());
    }
  }

  static std::map<std::int64_t, std::string> read_all(log& l, std::int64_t from = 0) {
    std::map<std::int64_t, std::string> out;
    while (from < l.end_offset()) {
      auto batch = l.read(from, 1000, 0ms);
      EXPECT_TRUE(batch) << batch.err().message;
      if (!batch || batch->empty()) break;
      for (auto& r : *batch) {
        EXPECT_GE(r.offset, from);
        from = r.offset + 1;
        out.emplace(r.offset, std::move(r.value));
      }
    }
    return out;
  }

  fs::path segment(std::int64_t base) const { return dir_ / fmt::format("{:020}.seg", base); }

  static std::string bytes_of(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  static void overwrite(const fs::path& p, std::int64_t at, const std::string& bytes) {
    std::fstream f(p, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(at);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  static std::int64_t metric(base::registry& metrics, const std::string& name) {
    const std::string text = metrics.expose();
    const std::string key = name + "{log=\"test\"} ";
    const auto at = text.find(key);
    return at == std::string::npos ? -1 : std::stoll(text.substr(at + key.size()));
  }

  std::vector<fs::path> damaged_files() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.path().string().find(".damaged") != std::string::npos) out.push_back(e.path());
    }
    return out;
  }

  fs::path dir_;
  std::int64_t segment_bytes_ = 64 << 20;
};

TEST_F(wal_damage, stray_files_are_left_alone_and_named_never_taken_for_segments) {
  write_records(3);
  // Named almost like segments (letters, a base past 2^63 - 1, a rebuild with neither its
  // segment nor a damaged copy), and some other file: none is the log's.
  for (const char* name :
       {"0000000000000000000x.seg", "99999999999999999999.seg", "00000000000000000009.seg.rebuild",
        "notes.txt", "00000000000000000003.seg.orig"}) {
    std::ofstream(dir_ / name) << "not a segment";
  }
  captured_log captured;
  base::registry metrics;
  auto l = open(metrics);
  ASSERT_TRUE(l) << l.err().message;
  EXPECT_EQ((*l)->end_offset(), 3);
  EXPECT_EQ(read_all(**l).size(), 3u);
  for (const char* name :
       {"0000000000000000000x.seg", "99999999999999999999.seg", "00000000000000000009.seg.rebuild",
        "notes.txt", "00000000000000000003.seg.orig"}) {
    EXPECT_TRUE(fs::exists(dir_ / name)) << name;
    EXPECT_NE(captured.text().find(name), std::string::npos) << name << " is not named in:\n"
                                                             << captured.text();
  }
  EXPECT_FALSE(fs::exists(segment(9)));
  EXPECT_TRUE(damaged_files().empty());
}

TEST_F(wal_damage, a_flipped_byte_in_a_record_mid_segment_loses_that_record_only_and_the_log_goes_on) {
  write_records(10);
  overwrite(segment(0), 4 * frame_bytes + 16 + 10, "#");  // in record 4's payload
  const std::string damaged = bytes_of(segment(0));

  captured_log lines;
  base::registry metrics;
  auto l = open(metrics);
  ASSERT_TRUE(l) << l.err().message;
  std::map<std::int64_t, std::string> expected;
  for (int i = 0; i < 10; ++i) {
    if (i != 4) expected[i] = value(i);
  }
  EXPECT_EQ(read_all(**l), expected) << "every other record, at its own offset";
  EXPECT_EQ((*l)->end_offset(), 10);

  ASSERT_EQ(damaged_files().size(), 1u);
  EXPECT_EQ(damaged_files()[0], fs::path(segment(0).string() + ".damaged"));
  EXPECT_EQ(bytes_of(damaged_files()[0]), damaged) << "the damaged file is kept as it was";
  EXPECT_EQ(metric(metrics, "clicktrail_wal_damaged_segments_total"), 1);
  EXPECT_EQ(metric(metrics, "clicktrail_wal_damaged_files"), 1);
  EXPECT_EQ(metric(metrics, "clicktrail_wal_torn_tails_total"), 0);
  const std::string text = lines.text();
  EXPECT_NE(text.find("error"), std::string::npos) << text;
  EXPECT_NE(text.find("file=" + segment(0).string()), std::string::npos) << text;
  EXPECT_NE(text.find(fmt::format("damaged_bytes={}-{}", 4 * frame_bytes, 5 * frame_bytes)),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("kept_records=9 lost_offsets=4..4"), std::string::npos) << text;

  // It goes on: new records follow, and the rebuilt segment reads back clean.
  std::promise<base::status> done;
  (*l)->append("after", [&](base::status s) { done.set_value(std::move(s)); });
  ASSERT_TRUE(done.get_future().get());
  l->reset();
  base::registry again;
  auto reopened = open(again);
  ASSERT_TRUE(reopened) << reopened.err().message;
  expected[10] = "after";
  EXPECT_EQ(read_all(**reopened), expected);
  EXPECT_EQ(metric(again, "clicktrail_wal_damaged_segments_total"), 0);
  EXPECT_EQ(metric(again, "clicktrail_wal_damaged_files"), 1) << "until an operator removes it";
}

TEST_F(wal_damage, damage_to_a_length_resyncs_at_the_next_record_and_offsets_never_go_back) {
  write_records(40);
  overwrite(segment(0), 10 * frame_bytes + 1, "\xff");  // record 10's length: no longer says where 11 starts
  overwrite(segment(0), 20 * frame_bytes, std::string(3 * frame_bytes + 5, '\0'));  // a zeroed block
  base::registry metrics;
  auto l = open(metrics);
  ASSERT_TRUE(l) << l.err().message;
  const auto kept = read_all(**l);
  // Every record outside the damage is there, in order, at an offset no lower than its own.
  std::vector<int> kept_numbers;
  std::int64_t previous = -1;
  for (const auto& [offset, v] : kept) {
    const int i = std::stoi(v.substr(7, 3));
    EXPECT_EQ(v, value(i));
    EXPECT_GE(offset, i) << v << " moved down";
    EXPECT_GT(offset, previous);
    previous = offset;
    kept_numbers.push_back(i);
  }
  std::vector<int> expected;
  for (int i = 0; i < 40; ++i) {
    if (i != 10 && (i < 20 || i > 23)) expected.push_back(i);
  }
  EXPECT_EQ(kept_numbers, expected);
  EXPECT_GE((*l)->end_offset(), 40) << "no offset is used twice";
  EXPECT_EQ(metric(metrics, "clicktrail_wal_damaged_segments_total"), 1);
}

TEST_F(wal_damage, damage_in_an_older_segment_keeps_every_offset_the_next_segment_pins) {
  segment_bytes_ = 200;  // three records a segment: 0-2, 3-5, 6-8
  write_records(9);
  ASSERT_TRUE(fs::exists(segment(3)) && fs::exists(segment(6)));
  overwrite(segment(0), 60, std::string(20, '\0'));  // the end of record 0 and the header of record 1
  overwrite(segment(3), 3 * frame_bytes - 1, "#");   // the last byte of record 5: the segment's end
  captured_log lines;
  base::registry metrics;
  auto l = open(metrics);
  ASSERT_TRUE(l) << l.err().message;
  EXPECT_EQ(read_all(**l),
            (std::map<std::int64_t, std::string>{
                {2, value(2)}, {3, value(3)}, {4, value(4)}, {6, value(6)}, {7, value(7)}, {8, value(8)}}));
  EXPECT_EQ(metric(metrics, "clicktrail_wal_damaged_segments_total"), 2);
  EXPECT_NE(lines.text().find("lost_offsets=0..1"), std::string::npos) << lines.text();
  EXPECT_NE(lines.text().find("lost_offsets=5..5"), std::string::npos) << lines.text();
  // A reader whose next offset falls in a gap goes on after it, into the next segment if need be.
  auto from_gap = (*l)->read(5, 10, 0ms);
  ASSERT_TRUE(from_gap);
  ASSERT_FALSE(from_gap->empty());
  EXPECT_EQ(from_gap->front().offset, 6);
  auto from_first_gap = (*l)->read(0, 1, 0ms);
  ASSERT_TRUE(from_first_gap);
  ASSERT_EQ(from_first_gap->size(), 1u);
  EXPECT_EQ(from_first_gap->front().offset, 2);
}

TEST_F(wal_damage, a_sink_that_committed_past_the_damage_goes_on_from_its_offset) {
  write_records(10);
  offset_file committed((dir_ / "sink.offset").string());
  ASSERT_TRUE(committed.store(7));  // the sink wrote out records 0-6 before the damage was found
  overwrite(segment(0), 2 * frame_bytes + 20, "#");
  base::registry metrics;
  auto l = open(metrics);
  ASSERT_TRUE(l);
  auto position = committed.load();
  ASSERT_TRUE(position && *position);
  EXPECT_LE(**position, (*l)->end_offset()) << "the committed offset is still inside the log";
  const auto rest = read_all(**l, **position);
  EXPECT_EQ(rest, (std::map<std::int64_t, std::string>{{7, value(7)}, {8, value(8)}, {9, value(9)}}));
}

TEST_F(wal_damage, a_torn_tail_is_cut_quietly_and_counted_also_when_it_is_zeros) {
  write_records(5);
  const auto whole = fs::file_size(segment(0));
  {
    std::ofstream out(segment(0), std::ios::binary | std::ios::app);
    out << value(5).substr(0, 30);   // the start of a record a crash cut short
    out << std::string(4096, '\0');  // then zeros: the size reached the disk, the data did not
  }
  captured_log lines;
  base::registry metrics;
  auto l = open(metrics);
  ASSERT_TRUE(l) << l.err().message;
  EXPECT_EQ((*l)->end_offset(), 5);
  EXPECT_EQ(fs::file_size(segment(0)), whole);
  EXPECT_EQ(metric(metrics, "clicktrail_wal_torn_tails_total"), 1);
  EXPECT_EQ(metric(metrics, "clicktrail_wal_damaged_segments_total"), 0);
  EXPECT_TRUE(damaged_files().empty());
  EXPECT_EQ(lines.text().find("error"), std::string::npos) << lines.text();
  EXPECT_NE(lines.text().find("torn tail cut"), std::string::npos) << lines.text();
}

// A power cut at every change of the move aside (rebuild written and synced, original renamed,
// rebuild renamed, directory synced): the next open ends where an uninterrupted one would.
TEST_F(wal_damage, a_power_cut_while_moving_a_segment_aside_changes_nothing_in_the_end) {
  write_records(12);
  overwrite(segment(0), 5 * frame_bytes + 30, "#");
  const std::string damaged = bytes_of(segment(0));
  const fs::path pristine = dir_.string() + "-pristine";
  fs::remove_all(pristine);
  fs::copy(dir_, pristine);
  std::map<std::int64_t, std::string> expected;
  for (int i = 0; i < 12; ++i) {
    if (i != 5) expected[i] = value(i);
  }
  std::mt19937_64 rng(3);
  int cuts = 0;
  captured_log lines;
  for (std::int64_t cut = 0;; ++cut) {
    for (int run = 0; run < 10; ++run) {
      const auto mode = run == 0 ? crash_mode::lose_unsynced : crash_mode::keep_some;
      fs::remove_all(dir_);
      fs::copy(pristine, dir_);
      crash_file_system disk(posix_files());
      disk.cut_power_after(cut);
      {
        base::registry metrics;
        auto l = open(metrics, disk);
        if (!disk.power_is_off()) {  // the whole open fitted before the cut: every point was tried
          ASSERT_TRUE(l) << l.err().message;
          EXPECT_GT(cuts, 40);
          // Both ways a crash can leave a move aside were met: rebuilt but not yet renamed
          // (redone), and renamed halfway (finished).
          EXPECT_NE(lines.text().find("redoing the move aside"), std::string::npos);
          EXPECT_NE(lines.text().find("finished moving a damaged segment aside"), std::string::npos);
          fs::remove_all(pristine);
          return;
        }
      }
      ++cuts;
      disk.restart(mode, rng);
      base::registry metrics;
      auto l = open(metrics, disk);
      ASSERT_TRUE(l) << "cut at change " << cut << ": " << l.err().message;
      EXPECT_EQ(read_all(**l), expected) << "cut at change " << cut;
      EXPECT_EQ((*l)->end_offset(), 12);
      const auto aside = damaged_files();
      ASSERT_EQ(aside.size(), 1u) << "cut at change " << cut;
      EXPECT_EQ(bytes_of(aside[0]), damaged) << "cut at change " << cut;
      for (const auto& e : fs::directory_iterator(dir_)) {
        EXPECT_EQ(e.path().string().find(".rebuild"), std::string::npos) << "cut at change " << cut;
      }
    }
  }
}

}  // namespace
}  // namespace clicktrail::wal
