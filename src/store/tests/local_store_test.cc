#include "store/local_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "base/posix_io.h"

namespace clicktrail::store {
namespace posix = base::posix;
namespace {

namespace fs = std::filesystem;

class local_store_test : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("clicktrail-local-store-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    auto s = local_store::open(dir_.string() + "/out/", metrics_);
    ASSERT_TRUE(s) << s.err().message;
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }

  // Every file under the root, temporary ones included, relative to it.
  std::vector<std::string> files_on_disk() const {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "out")) {
      if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir_ / "out").string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  base::registry metrics_;
  fs::path dir_;
  std::unique_ptr<local_store> store_;
};

std::vector<std::string> keys(const std::vector<object_info>& infos) {
  std::vector<std::string> out;
  out.reserve(infos.size());
  for (const auto& i : infos) out.push_back(i.key);
  return out;
}

TEST_F(local_store_test, put_get_head_remove) {
  ASSERT_TRUE(store_->put("a/b/c.txt", "hello"));
  EXPECT_EQ(*store_->get("a/b/c.txt"), "hello");
  const auto info = *store_->head("a/b/c.txt");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->key, "a/b/c.txt");
  EXPECT_EQ(info->size, 5);
  ASSERT_TRUE(store_->put("a/b/c.txt", "replaced"));  // atomic replace
  EXPECT_EQ(*store_->get("a/b/c.txt"), "replaced");
  ASSERT_TRUE(store_->remove("a/b/c.txt"));
  EXPECT_EQ(*store_->get("a/b/c.txt"), std::nullopt);
  EXPECT_EQ(*store_->head("a/b/c.txt"), std::nullopt);
  EXPECT_TRUE(store_->remove("a/b/c.txt")) << "removing what is not there succeeds";
  EXPECT_EQ(*store_->get("a/b"), std::nullopt) << "a directory is not an object";
  EXPECT_EQ(*store_->get("never/was"), std::nullopt);
  EXPECT_EQ(store_->describe(), (dir_ / "out").string());
}

TEST_F(local_store_test, upload_is_invisible_until_commit) {
  auto u = store_->begin_upload("events/year=2024/part+0+00000000000000000042.jsonl.gz");
  ASSERT_TRUE(u) << u.err().message;
  ASSERT_TRUE((*u)->write("line 1\n"));
  ASSERT_TRUE((*u)->write("line 2\n"));
  EXPECT_EQ((*u)->bytes_written(), 14);
  EXPECT_EQ(*store_->head("events/year=2024/part+0+00000000000000000042.jsonl.gz"), std::nullopt);
  EXPECT_TRUE(store_->list("")->empty()) << "the temporary file is never listed";
  EXPECT_EQ(files_on_disk().size(), 1u);
  ASSERT_TRUE((*u)->commit());
  EXPECT_EQ(*store_->get("events/year=2024/part+0+00000000000000000042.jsonl.gz"), "line 1\nline 2\n");
  EXPECT_EQ(files_on_disk(),
            std::vector<std::string>{"events/year=2024/part+0+00000000000000000042.jsonl.gz"});
  EXPECT_FALSE((*u)->write("more")) << "a committed upload takes no more bytes";
  EXPECT_FALSE((*u)->commit());
}

TEST_F(local_store_test, abort_and_destruction_leave_nothing) {
  ASSERT_TRUE(store_->put("k", "old"));
  {
    auto u = store_->begin_upload("k");
    ASSERT_TRUE((*u)->write("new, never committed"));
    (*u)->abort();
    (*u)->abort();  // idempotent
    EXPECT_FALSE((*u)->commit());
  }
  {
    auto u = store_->begin_upload("k");
    ASSERT_TRUE((*u)->write("dropped"));
  }  // destroyed uncommitted: aborted
  EXPECT_EQ(*store_->get("k"), "old");
  EXPECT_EQ(files_on_disk(), std::vector<std::string>{"k"});
}

TEST_F(local_store_test, a_crashed_upload_leaves_no_visible_object) {
  // A child process writes half an object and dies without committing or cleaning up.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto u = store_->begin_upload("crash/object.parquet");
    if (!u || !(*u)->write(std::string(100000, 'x'))) ::_exit(1);
    ::_exit(0);  // no destructors: the temporary file stays, as after kill -9
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(files_on_disk().size(), 1u) << "the crash left its temporary file";
  EXPECT_TRUE(store_->list("")->empty());
  EXPECT_EQ(*store_->head("crash/object.parquet"), std::nullopt);
  // A new run writes the same key; the leftover does not get in its way.
  auto again = store_->put("crash/object.parquet", "whole");
  ASSERT_TRUE(again) << again.err().message;
  EXPECT_EQ(keys(*store_->list("")), std::vector<std::string>{"crash/object.parquet"});
}

TEST_F(local_store_test, remove_unfinished_deletes_the_temporary_files_of_that_key_only) {
  // Children die mid-upload of two keys, one name a prefix of the other.
  for (const char* key : {"crash/a.jsonl", "crash/a.jsonl", "crash/a.jsonl.gz"}) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto u = store_->begin_upload(key);
      if (!u || !(*u)->write("half")) ::_exit(1);
      ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_EQ(WEXITSTATUS(status), 0);
  }
  ASSERT_EQ(files_on_disk().size(), 3u);
  ASSERT_TRUE(store_->remove_unfinished("crash/a.jsonl"));
  const auto left = files_on_disk();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_TRUE(left[0].starts_with("crash/.a.jsonl.gz.tmp-")) << left[0];
  EXPECT_TRUE(store_->remove_unfinished("nowhere/x"));  // no directory: nothing to do
}

TEST_F(local_store_test, list_is_recursive_sorted_and_filtered_by_prefix) {
  for (const char* k : {"b/2", "a/z/9", "a/1", "a/y", "c", "a/z/10", "ab"}) ASSERT_TRUE(store_->put(k, k));
  EXPECT_EQ(keys(*store_->list("")),
            (std::vector<std::string>{"a/1", "a/y", "a/z/10", "a/z/9", "ab", "b/2", "c"}));
  EXPECT_EQ(keys(*store_->list("a/")), (std::vector<std::string>{"a/1", "a/y", "a/z/10", "a/z/9"}));
  EXPECT_EQ(keys(*store_->list("a")), (std::vector<std::string>{"a/1", "a/y", "a/z/10", "a/z/9", "ab"}));
  EXPECT_EQ(keys(*store_->list("a/z/1")), (std::vector<std::string>{"a/z/10"}));
  EXPECT_TRUE(store_->list("nothing/here/")->empty());
  const auto all = *store_->list("a/z/9");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].size, 5);
}

TEST_F(local_store_test, keys_with_unusual_characters) {
  const std::vector<std::string> odd = {"sp ace/a+b=c&d%e", "\xc3\xa9t\xc3\xa9/\xf0\x9f\x98\x80.json",
                                        "x/.hidden"};
  for (const auto& k : odd) ASSERT_TRUE(store_->put(k, k)) << k;
  for (const auto& k : odd) EXPECT_EQ(*store_->get(k), k);
  EXPECT_EQ(store_->list("")->size(), odd.size());
}

TEST_F(local_store_test, bad_keys_are_refused_as_bugs) {
  for (const char* k : {"", "/abs", "a//b", "a/../b", "./a", "a/", "x/.y.tmp-0123"}) {
    auto r = store_->put(k, "x");
    ASSERT_FALSE(r) << k;
    EXPECT_EQ(r.err().what, base::outcome::fail);
    EXPECT_NE(r.err().message.find("bug in the caller"), std::string::npos);
  }
}

// Makes `dir` refuse new entries: permissions for an ordinary user; for root, which ignores
// them, the immutable attribute (chattr +i). False when neither is possible here.
bool lock_directory(const fs::path& dir, bool lock) {
  if (::geteuid() != 0) {
    fs::permissions(dir, lock ? fs::perms::owner_read | fs::perms::owner_exec : fs::perms::owner_all);
    return true;
  }
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return false;
  int flags = 0;
  bool ok = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  flags = lock ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
  ok = ok && ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  ::close(fd);
  return ok;
}

TEST_F(local_store_test, errors_name_the_path_the_cause_and_the_fix) {
  ASSERT_TRUE(store_->put("locked/a", "x"));
  const fs::path locked = dir_ / "out" / "locked";
  if (!lock_directory(locked, true)) GTEST_SKIP() << "cannot make a directory unwritable here";
  auto r = store_->put("locked/b", "x");
  lock_directory(locked, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().what, base::outcome::fail);
  EXPECT_NE(r.err().message.find(locked.string()), std::string::npos) << r.err().message;
  EXPECT_TRUE(r.err().message.find("(EACCES)") != std::string::npos ||
              r.err().message.find("(EPERM)") != std::string::npos)
      << r.err().message;
  EXPECT_NE(r.err().message.find("write access"), std::string::npos) << r.err().message;
}

TEST_F(local_store_test, a_file_where_a_directory_belongs_fails_with_the_path) {
  ASSERT_TRUE(store_->put("file", "x"));
  auto r = store_->begin_upload("file/child");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().what, base::outcome::fail);
  EXPECT_NE(r.err().message.find("ENOTDIR"), std::string::npos) << r.err().message;
  EXPECT_NE(r.err().message.find("/out/file"), std::string::npos) << r.err().message;
}

TEST(local_store_errors, errno_decides_retry_or_fail_and_the_message_says_what_to_do) {
  const auto full = posix::os_error("write", "/data/out/x", ENOSPC);
  EXPECT_EQ(full.what, base::outcome::fail);
  EXPECT_EQ(
      full.message,
      "local store: cannot write /data/out/x: No space left on device (ENOSPC); free space (or quota) on "
      "that filesystem, or point sink.output at another directory");
  EXPECT_EQ(posix::os_error("create", "/p", EACCES).what, base::outcome::fail);
  EXPECT_EQ(posix::os_error("create", "/p", EROFS).what, base::outcome::fail);
  const auto io = posix::os_error("fsync", "/p", EIO);
  EXPECT_EQ(io.what, base::outcome::retry);
  EXPECT_NE(io.message.find("dmesg"), std::string::npos);
  EXPECT_EQ(posix::os_error("write", "/p", EAGAIN).what, base::outcome::retry);
  EXPECT_EQ(posix::os_error("open", "/p", EMFILE).what, base::outcome::retry);
}

TEST_F(local_store_test, concurrent_uploads_of_the_same_key_each_publish_a_whole_object) {
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 20; ++i) {
        const std::string body(1000 + static_cast<size_t>(t), static_cast<char>('a' + t));
        EXPECT_TRUE(store_->put("same/key", body));
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::string final_body = **store_->get("same/key");
  ASSERT_FALSE(final_body.empty());
  EXPECT_EQ(final_body, std::string(final_body.size(), final_body[0])) << "never a mix of two writers";
  EXPECT_EQ(files_on_disk(), std::vector<std::string>{"same/key"});
}

TEST_F(local_store_test, opening_creates_the_directory) {
  base::registry r;
  auto s = local_store::open((dir_ / "new" / "deep").string(), r);
  ASSERT_TRUE(s) << s.err().message;
  EXPECT_TRUE(fs::is_directory(dir_ / "new" / "deep"));
  ASSERT_TRUE(store_->put("f", "x"));
  auto bad = local_store::open((dir_ / "out" / "f" / "sub").string(), r);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.err().message.find("cannot"), std::string::npos);
}

TEST_F(local_store_test, metrics_count_operations) {
  ASSERT_TRUE(store_->put("m", "12345"));
  (void)store_->get("m");
  const std::string text = metrics_.expose();
  EXPECT_NE(text.find("clicktrail_store_requests_total{store=\"local\",op=\"put\",outcome=\"ok\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("clicktrail_store_upload_bytes_total{store=\"local\"} 5"), std::string::npos);
}

}  // namespace
}  // namespace clicktrail::store
