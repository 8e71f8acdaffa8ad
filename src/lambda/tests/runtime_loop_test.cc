#include "lambda/runtime_loop.h"

#include <gtest/gtest.h>

namespace clicktrail::lambda {
namespace {

using std::chrono::milliseconds;

milliseconds left_for_the_answer(base::unix_ms deadline_in_ms) {
  const base::unix_ms now = 1'764'000'000'000;
  const auto t0 = base::steady::now();
  return std::chrono::duration_cast<milliseconds>(answer_deadline(now + deadline_in_ms, now, t0) - t0);
}

TEST(answer_deadline, keeps_a_tenth_of_the_time_left_for_the_answer_between_50_ms_and_1_s) {
  EXPECT_EQ(left_for_the_answer(3000), milliseconds(2700));
  EXPECT_EQ(left_for_the_answer(300), milliseconds(250));          // at least 50 ms
  EXPECT_EQ(left_for_the_answer(900'000), milliseconds(899'000));  // at most 1 s
  EXPECT_EQ(left_for_the_answer(30), milliseconds(0));             // no time: answer at once
  EXPECT_EQ(left_for_the_answer(-5), milliseconds(0));             // already late
}

}  // namespace
}  // namespace clicktrail::lambda
