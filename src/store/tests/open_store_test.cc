#include "store/open_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "store/tests/s3_test_support.h"

namespace clicktrail::store {
namespace {

TEST(open_store, a_local_output_is_a_local_store) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("clicktrail-open-store-" + std::to_string(::getpid()));
  config::output_location where;
  where.path = (dir / "out").string();
  base::registry metrics;
  auto store = open_store(where, config::s3_config{}, metrics);
  ASSERT_TRUE(store) << store.err().message;
  EXPECT_EQ((*store)->describe(), where.path);
  ASSERT_TRUE((*store)->put("k", "v"));
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "k"));
  std::filesystem::remove_all(dir);
}

TEST(open_store, an_s3_output_is_an_s3_store_with_the_environment_credentials) {
  REQUIRE_S3();  // ./dev test exports AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: the chain's first source
  const auto s3 = test::s3_from_environment();
  config::output_location where;
  where.where = config::output_location::kind::s3;
  where.bucket = s3.bucket;
  where.prefix = test::fresh_prefix();
  config::s3_config settings;
  settings.region = s3.region;
  settings.endpoint = s3.endpoint;
  settings.path_style = true;
  base::registry metrics;
  auto store = open_store(where, settings, metrics);
  ASSERT_TRUE(store) << store.err().message;
  EXPECT_EQ((*store)->describe(), "s3://" + s3.bucket + "/" + where.prefix);
  auto put = (*store)->put("k", "v");
  ASSERT_TRUE(put) << put.err().message;
  EXPECT_EQ(*(*store)->get("k"), "v");
}

TEST(open_store, a_malformed_endpoint_stops_start_up) {
  config::output_location where;
  where.where = config::output_location::kind::s3;
  where.bucket = "b";
  config::s3_config settings;
  settings.region = "us-east-1";
  settings.endpoint = "ftp://example.com";
  base::registry metrics;
  auto store = open_store(where, settings, metrics);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.err().what, base::outcome::fail);
  EXPECT_NE(store.err().message.find("ftp://example.com"), std::string::npos);
}

}  // namespace
}  // namespace clicktrail::store
