// The power-cut model the log's power-loss tests rely on: what was synced survives, what was not
// does not (or, in keep_some, only in part and in order), and nothing works after the cut.

#include "wal/testing/crash_file_system.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace clicktrail::wal {
namespace {

namespace fs = std::filesystem;

class wal_crash_file_system : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = (fs::temp_directory_path() /
            ("clicktrail-crash-" + std::string(info->name()) + "-" + std::to_string(::getpid())))
               .string();
    fs::remove_all(dir_);
    ASSERT_TRUE(disk_.make_dirs(dir_));
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  // The file's bytes on the real disk, or nullopt when it is not there.
  std::optional<std::string> on_disk(const std::string& name) const {
    if (!fs::exists(path(name))) return std::nullopt;
    std::ifstream in(path(name), std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  void write(const std::string& name, open_mode mode, const std::string& bytes, bool sync) {
    auto f = disk_.open(path(name), mode);
    ASSERT_TRUE(f) << f.err().message;
    ASSERT_TRUE((*f)->append(bytes));
    if (sync) {
      ASSERT_TRUE((*f)->sync());
    }
  }

  std::string dir_;
  crash_file_system disk_{posix_files()};
  std::mt19937_64 rng_{7};
};

TEST_F(wal_crash_file_system, synced_bytes_survive_and_unsynced_ones_do_not) {
  write("a", open_mode::create, "durable", true);
  ASSERT_TRUE(disk_.sync_dir(dir_));
  write("a", open_mode::append, "+lost", false);
  EXPECT_EQ(on_disk("a"), "durable+lost") << "before the cut the disk has everything";
  disk_.restart(crash_mode::lose_unsynced, rng_);
  EXPECT_EQ(on_disk("a"), "durable");
}

TEST_F(wal_crash_file_system, a_new_file_needs_its_directory_synced_even_when_its_bytes_are) {
  write("synced-dir", open_mode::create, "x", true);
  ASSERT_TRUE(disk_.sync_dir(dir_));
  write("unsynced-dir", open_mode::create, "y", true);
  disk_.restart(crash_mode::lose_unsynced, rng_);
  EXPECT_EQ(on_disk("synced-dir"), "x");
  EXPECT_EQ(on_disk("unsynced-dir"), std::nullopt);
}

TEST_F(wal_crash_file_system, a_rename_or_removal_without_a_directory_sync_is_undone) {
  write("old", open_mode::create, "1", true);
  write("gone", open_mode::create, "2", true);
  ASSERT_TRUE(disk_.sync_dir(dir_));
  write("new.tmp", open_mode::create, "3", true);
  ASSERT_TRUE(disk_.rename(path("new.tmp"), path("old")));
  ASSERT_TRUE(disk_.remove(path("gone")));
  EXPECT_EQ(on_disk("old"), "3");
  disk_.restart(crash_mode::lose_unsynced, rng_);
  EXPECT_EQ(on_disk("old"), "1");
  EXPECT_EQ(on_disk("gone"), "2");
  EXPECT_EQ(on_disk("new.tmp"), std::nullopt);
}

TEST_F(wal_crash_file_system, a_renamed_file_brings_only_its_synced_bytes) {
  write("offset", open_mode::create, "41\n", true);
  ASSERT_TRUE(disk_.sync_dir(dir_));
  write("offset.tmp", open_mode::replace, "42\n", false);  // no fsync before the rename
  ASSERT_TRUE(disk_.rename(path("offset.tmp"), path("offset")));
  ASSERT_TRUE(disk_.sync_dir(dir_));
  disk_.restart(crash_mode::lose_unsynced, rng_);
  EXPECT_EQ(on_disk("offset"), "") << "the name moved, the bytes never reached the disk";
}

TEST_F(wal_crash_file_system, keep_some_keeps_a_prefix_of_what_was_not_synced) {
  int shorter = 0;
  for (int i = 0; i < 50; ++i) {
    write("f", i == 0 ? open_mode::create : open_mode::append, "", true);
    ASSERT_TRUE(disk_.sync_dir(dir_));
    const std::string before = *on_disk("f");
    write("f", open_mode::append, "abcdefghij", false);
    disk_.restart(crash_mode::keep_some, rng_);
    const std::string after = *on_disk("f");
    ASSERT_TRUE(after.starts_with(before));
    ASSERT_LE(after.size(), before.size() + 10);
    const std::string extra = after.substr(before.size());
    const std::string written = std::string("abcdefghij").substr(0, extra.size());
    // The kept bytes are what was written, then possibly zeros: never anything else.
    for (std::size_t k = 0; k < extra.size(); ++k)
      ASSERT_TRUE(extra[k] == written[k] || extra[k] == '\0') << extra;
    if (after.size() < before.size() + 10) ++shorter;
  }
  EXPECT_GT(shorter, 0);
}

TEST_F(wal_crash_file_system, after_the_cut_nothing_works_and_the_changes_before_it_took_effect) {
  disk_.cut_power_after(2);
  auto f = disk_.open(path("f"), open_mode::create);  // change 1
  ASSERT_TRUE(f);
  ASSERT_TRUE((*f)->append("kept"));  // change 2
  EXPECT_FALSE((*f)->sync());         // the cut
  EXPECT_TRUE(disk_.power_is_off());
  EXPECT_FALSE((*f)->append("never"));
  EXPECT_FALSE((*f)->read_at(0, 4));
  EXPECT_FALSE(disk_.sync_dir(dir_));
  EXPECT_EQ(on_disk("f"), "kept");
  f->reset();
  disk_.restart(crash_mode::lose_unsynced, rng_);
  EXPECT_FALSE(disk_.power_is_off());
  EXPECT_EQ(on_disk("f"), std::nullopt);
}

}  // namespace
}  // namespace clicktrail::wal
