// The fault-injecting wrapper, over a local_store in a temporary directory.
#include "store/testing/faulty_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "store/local_store.h"

namespace clicktrail::store {
namespace {

namespace fs = std::filesystem;

class faulty_store_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("clicktrail-faulty-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
         "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    inner_ = local_store::open(dir_.string(), metrics_).value();
    faulty_ = std::make_unique<faulty_store>(*inner_);
  }
  void TearDown() override {
    faulty_.reset();
    inner_.reset();
    fs::remove_all(dir_);
  }

  base::status upload(std::string key, std::string_view body) {
    auto u = faulty_->begin_upload(std::move(key));
    if (!u) return std::move(u).err();
    for (size_t at = 0; at < body.size(); at += 10) {
      if (auto s = (*u)->write(body.substr(at, 10)); !s) return s;
    }
    return (*u)->commit();
  }

  base::registry metrics_;
  fs::path dir_;
  std::unique_ptr<local_store> inner_;
  std::unique_ptr<faulty_store> faulty_;
};

TEST_F(faulty_store_test, fails_the_next_commits_then_passes) {
  faulty_->inject({.at = fault_point::commit, .times = 2});
  for (int i = 0; i < 2; ++i) {
    auto s = upload("a", "body");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().what, base::outcome::retry);
    EXPECT_NE(s.err().message.find("injected fault: commit of a"), std::string::npos);
    EXPECT_EQ(*inner_->head("a"), std::nullopt) << "the failed commit aborted the inner upload";
  }
  ASSERT_TRUE(upload("a", "body"));
  EXPECT_EQ(*inner_->get("a"), "body");
  EXPECT_EQ(faulty_->calls(fault_point::commit), 3);
  EXPECT_EQ(faulty_->injected(fault_point::commit), 2);
  EXPECT_TRUE(inner_->list("")->size() == 1);
}

TEST_F(faulty_store_test, write_fails_after_some_bytes) {
  faulty_->inject({.at = fault_point::write, .outcome = base::outcome::fail, .after_bytes = 25});
  auto s = upload("w", std::string(100, 'x'));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.err().what, base::outcome::fail);
  EXPECT_EQ(faulty_->calls(fault_point::write), 3) << "writes of 10, 10, then the one crossing 25 bytes";
  EXPECT_EQ(s.err().message, "injected fault: write of w failed (faulty_store)");
  EXPECT_TRUE(inner_->list("")->empty());
  ASSERT_TRUE(upload("w", std::string(100, 'x'))) << "the fault is spent";
}

TEST_F(faulty_store_test, a_lost_answer_takes_effect_but_reports_an_error) {
  faulty_->inject({.at = fault_point::commit, .after_effect = true});
  faulty_->inject({.at = fault_point::put, .after_effect = true});
  EXPECT_FALSE(upload("lost", "whole"));
  EXPECT_EQ(*inner_->get("lost"), "whole");
  EXPECT_FALSE(faulty_->put("intent", "k"));
  EXPECT_EQ(*inner_->get("intent"), "k");
}

TEST_F(faulty_store_test, faults_match_key_prefixes_and_every_operation) {
  faulty_->inject({.at = fault_point::put, .key_prefix = "_clicktrail/"});
  ASSERT_TRUE(faulty_->put("events/x", "1"));
  EXPECT_FALSE(faulty_->put("_clicktrail/intents/t+0", "1"));
  ASSERT_TRUE(faulty_->put("_clicktrail/intents/t+0", "1"));
  for (auto p : {fault_point::get, fault_point::head, fault_point::list, fault_point::remove,
                 fault_point::begin_upload}) {
    faulty_->inject({.at = p, .outcome = base::outcome::fail});
  }
  EXPECT_FALSE(faulty_->get("events/x"));
  EXPECT_FALSE(faulty_->head("events/x"));
  EXPECT_FALSE(faulty_->list(""));
  EXPECT_FALSE(faulty_->remove("events/x"));
  EXPECT_FALSE(faulty_->begin_upload("events/y"));
  EXPECT_TRUE(faulty_->get("events/x"));
  faulty_->inject({.at = fault_point::get, .times = 5});
  faulty_->clear();
  EXPECT_TRUE(faulty_->get("events/x"));
  EXPECT_EQ(faulty_->describe(), "faulty(" + dir_.string() + ")");
}

}  // namespace
}  // namespace clicktrail::store
