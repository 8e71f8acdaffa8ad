// What the sink's fencing stands on (docs/sink.md, "Fencing"), for both stores: an upload never
// overwrites, retire() takes a key from an upload still in progress, and put_if() is a
// compare-and-swap. The S3 cases run against the real server of `./dev services start`
// (versitygw, which evaluates If-None-Match and If-Match), the local ones in a temp directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "store/local_store.h"
#include "store/tests/s3_test_support.h"

namespace clicktrail::store {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view empty_file = "EMPTY";  // what retire() leaves on S3

enum class kind { local, s3 };

class conditional_writes : public ::testing::TestWithParam<kind> {
 protected:
  void SetUp() override {
    if (GetParam() == kind::s3) {
      REQUIRE_S3();
      store_ = test::open_test_store(metrics_);
      return;
    }
    dir_ = fs::temp_directory_path() / ("clicktrail-conditional-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    auto s = local_store::open(dir_.string(), metrics_);
    ASSERT_TRUE(s) << s.err().message;
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  bool s3() const { return GetParam() == kind::s3; }

  // An upload of `bytes` to `key`, not committed yet. `multipart`: big enough that S3 sends its
  // first part before commit.
  std::unique_ptr<upload> started(const std::string& key, bool multipart = false) {
    auto u = store_->begin_upload(key);
    EXPECT_TRUE(u) << u.err().message;
    const std::string bytes(multipart ? s3_store::min_part_size + 1 : 100, 'x');
    EXPECT_TRUE((*u)->write(bytes));
    return std::move(*u);
  }

  base::registry metrics_;
  fs::path dir_;
  std::unique_ptr<object_store> store_;
};

TEST_P(conditional_writes, list_says_when_each_object_was_written) {
  // What `clicktrail iceberg cleanup` tells an orphan from a file a writer is about to commit by.
  const std::string prefix = "modified-" + std::to_string(::getpid()) + "/";
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  ASSERT_TRUE(store_->put(prefix + "a", "x"));
  auto listed = store_->list(prefix);
  ASSERT_TRUE(listed) << listed.err().message;
  ASSERT_EQ(listed->size(), 1U);
  // S3 keeps whole seconds; clocks of a server and its client may differ by a little.
  EXPECT_GE((*listed)[0].modified_ms, before - 5000);
  EXPECT_LE((*listed)[0].modified_ms, before + 60'000);
  ASSERT_TRUE(store_->remove(prefix + "a"));
}

TEST_P(conditional_writes, an_upload_never_overwrites_an_object) {
  for (const bool multipart : {false, true}) {
    const std::string key = multipart ? "big" : "small";
    ASSERT_TRUE(store_->put(key, "first"));
    auto u = started(key, multipart);
    auto c = u->commit();
    ASSERT_FALSE(c);
    EXPECT_EQ(c.err().what, base::outcome::conflict) << c.err().message;
    EXPECT_NE(c.err().message.find("nothing was overwritten"), std::string::npos) << c.err().message;
    EXPECT_EQ(**store_->get(key), "first");
  }
  if (s3()) {
    EXPECT_TRUE(static_cast<s3_store&>(*store_).pending_uploads("")->empty())
        << "the refused upload was aborted";
  }
}

TEST_P(conditional_writes, retire_stops_uploads_in_progress_from_publishing) {
  for (const bool multipart : {false, true}) {
    const std::string key = multipart ? "open-big" : "open-small";
    auto u = started(key, multipart);
    ASSERT_TRUE(store_->retire(key, empty_file));
    auto c = u->commit();
    ASSERT_FALSE(c) << "a retired key cannot be published by an upload begun before";
    EXPECT_EQ(c.err().what, base::outcome::conflict) << c.err().message;
    // S3 keeps an empty file of the key's format there; a directory keeps nothing.
    EXPECT_EQ(*store_->get(key), s3() ? std::optional<std::string>(empty_file) : std::nullopt);
  }
  if (s3()) {
    EXPECT_TRUE(static_cast<s3_store&>(*store_).pending_uploads("")->empty());
  }
}

TEST_P(conditional_writes, retire_takes_back_what_was_published) {
  auto u = started("done");
  ASSERT_TRUE(u->commit());
  ASSERT_TRUE(store_->retire("done", empty_file));
  EXPECT_EQ(*store_->get("done"), s3() ? std::optional<std::string>(empty_file) : std::nullopt);
  ASSERT_TRUE(store_->retire("done", empty_file)) << "retiring twice is harmless";
  ASSERT_TRUE(store_->retire("never/there", empty_file));
}

TEST_P(conditional_writes, put_if_is_a_compare_and_swap) {
  auto created = store_->put_if("state", "v1 by a", std::nullopt);
  ASSERT_TRUE(created) << created.err().message;
  ASSERT_TRUE(*created);
  const std::string v1 = **created;

  auto again = store_->put_if("state", "v1 by b", std::nullopt);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again) << "must not exist: it does";
  auto repeated = store_->put_if("state", "v1 by a", std::nullopt);
  ASSERT_TRUE(repeated);
  EXPECT_EQ(*repeated, v1) << "our own bytes already there: a write whose answer was lost";

  auto swapped = store_->put_if("state", "v2 by a", v1);
  ASSERT_TRUE(swapped && *swapped);
  const std::string v2 = **swapped;
  EXPECT_NE(v2, v1);
  auto stale = store_->put_if("state", "v2 by b", v1);
  ASSERT_TRUE(stale);
  EXPECT_FALSE(*stale) << "a writer holding an old version is refused";

  const auto now = *store_->read("state");
  ASSERT_TRUE(now);
  EXPECT_EQ(now->bytes, "v2 by a");
  EXPECT_EQ(now->version, v2);

  ASSERT_TRUE(store_->remove("state"));
  auto gone = store_->put_if("state", "v3 by b", v2);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone) << "the object it expected is gone";
}

TEST_P(conditional_writes, racing_writers_each_round_exactly_one_wins) {
  constexpr int writers = 4;
  constexpr int rounds = 10;
  std::optional<std::string> version;
  for (int round = 0; round < rounds; ++round) {
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    std::string winner_version;
    std::mutex mutex;
    for (int w = 0; w < writers; ++w) {
      threads.emplace_back([&, w] {
        auto r = store_->put_if("race", "round " + std::to_string(round) + " writer " + std::to_string(w),
                                version);
        ASSERT_TRUE(r) << r.err().message;
        if (*r) {
          ++winners;
          std::lock_guard lock(mutex);
          winner_version = **r;
        }
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_EQ(winners.load(), 1) << "round " << round;
    version = winner_version;
  }
}

INSTANTIATE_TEST_SUITE_P(stores, conditional_writes, ::testing::Values(kind::local, kind::s3),
                         [](const auto& p) { return p.param == kind::s3 ? "s3" : "local"; });

}  // namespace
}  // namespace clicktrail::store
