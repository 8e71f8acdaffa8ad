#include "base/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace clicktrail::base {
namespace {

result<int> parse_positive(int v) {
  if (v <= 0) return error::reject("value must be positive");
  return v;
}

TEST(result, carries_a_value_or_an_error_with_its_outcome) {
  auto good = parse_positive(7);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);

  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.err().what, outcome::reject);
  EXPECT_EQ(bad.err().message, "value must be positive");
  EXPECT_FALSE(bad.err().retriable());
  EXPECT_TRUE(error::retry("broker down").retriable());
}

TEST(result, moves_out_move_only_values) {
  result<std::unique_ptr<std::string>> r = std::make_unique<std::string>("x");
  auto owned = std::move(r).value();
  EXPECT_EQ(*owned, "x");
}

TEST(result, void_status) {
  status fine;
  EXPECT_TRUE(fine.ok());
  status broken = error::fail("disk full");
  EXPECT_FALSE(broken.ok());
  EXPECT_STREQ(to_string(broken.err().what), "fail");
}

}  // namespace
}  // namespace clicktrail::base
