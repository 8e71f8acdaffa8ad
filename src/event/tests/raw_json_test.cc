// Finding values in JSON text beside simdjson's DOM.

#include "event/raw_json.h"

#include <gtest/gtest.h>

namespace clicktrail::event::raw {
namespace {

TEST(event_raw_json, array_elements_of_every_kind) {
  array_cursor cursor(R"([ {"a":"}]\"\\"} ,"x\"y", [1,[2]],-1.5e3 ,true,null,{} ])");
  EXPECT_EQ(cursor.element(0), R"({"a":"}]\"\\"})");
  EXPECT_EQ(cursor.element(1), R"("x\"y")");
  EXPECT_EQ(cursor.element(1), R"("x\"y")");  // asking again is fine
  EXPECT_EQ(cursor.element(2), "[1,[2]]");
  EXPECT_EQ(cursor.element(3), "-1.5e3");
  EXPECT_EQ(cursor.element(6), "{}");  // skipping ahead
}

TEST(event_raw_json, strings_ending_in_backslashes) {
  array_cursor cursor(R"(["a\\", "b\\\"", "c"])");
  EXPECT_EQ(cursor.element(0), R"("a\\")");
  EXPECT_EQ(cursor.element(1), R"("b\\\"")");
  EXPECT_EQ(cursor.element(2), R"("c")");
}

TEST(event_raw_json, the_text_from_a_member_value_on) {
  const std::string_view object = R"({ "sent_ts" : 5 , "site":"s{", "events" :[ {"type":"a"} ] })";
  EXPECT_EQ(value_onward(object, 0), R"(5 , "site":"s{", "events" :[ {"type":"a"} ] })");
  EXPECT_EQ(value_onward(object, 1), R"("s{", "events" :[ {"type":"a"} ] })");
  EXPECT_EQ(value_onward(object, 2), R"([ {"type":"a"} ] })");
  EXPECT_EQ(array_cursor(value_onward(object, 2)).element(0), R"({"type":"a"})");
}

TEST(event_raw_json, compact_values_up_to_a_depth) {
  // Three deep: the array, the object, the inner array. Brackets and escaped quotes inside
  // strings count for nothing; the text after the value is not part of it.
  const std::string_view nested = R"([{"a":"] \"[ {","b":[1]}],"next":2})";
  EXPECT_EQ(compact_value(nested, 3), R"([{"a":"] \"[ {","b":[1]}])");
  EXPECT_EQ(compact_value(nested, 2), "");
  EXPECT_EQ(compact_value("{}", 1), "{}");
  // Whitespace outside strings: not compact, to be written out again.
  EXPECT_EQ(compact_value("[1, 2]", 4), "");
  EXPECT_EQ(compact_value("{\"a\":\n1}", 4), "");
  // Only arrays and objects.
  EXPECT_EQ(compact_value(R"("text")", 4), "");
  EXPECT_EQ(compact_value("12", 4), "");
  EXPECT_EQ(compact_value("", 4), "");
}

TEST(event_raw_json, compact_values_only_as_write_compact_would_spell_them) {
  // Escapes write_string makes: copied.
  EXPECT_EQ(compact_value(R"(["\"\\\u001f\u0000",-12,0])", 4), R"(["\"\\\u001f\u0000",-12,0])");
  EXPECT_EQ(compact_value(R"({"a":123456789012345678})", 4), R"({"a":123456789012345678})");
  // Escapes it would spell otherwise, and numbers it would print otherwise: written out again.
  for (const std::string_view respelled :
       {R"(["\f"])", R"(["\n"])", R"(["\/"])", R"(["\u000C"])", R"(["\u007f"])", R"(["\u00e9"])", R"([1.50])",
        R"([1e2])", R"([1E2])", R"([-0])", R"({"a":1234567890123456789})", R"([2,0.5])"}) {
    EXPECT_EQ(compact_value(respelled, 4), "") << respelled;
  }
}

TEST(event_raw_json, trim) {
  EXPECT_EQ(trim(" \r\n\t{} \n"), "{}");
  EXPECT_EQ(trim("   "), "");
}

}  // namespace
}  // namespace clicktrail::event::raw
