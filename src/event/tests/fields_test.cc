// The field table: complete, consistent, and documented in docs/event-schema.md.

#include "event/fields.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "event/decode.h"
#include "event/reason.h"

namespace clicktrail::event {
namespace {

TEST(event_fields, every_field_is_found_by_its_name) {
  std::set<std::string_view> names;
  for (const field& f : all_fields()) {
    EXPECT_TRUE(names.insert(f.name).second) << "twice: " << f.name;
    EXPECT_EQ(find_field(f.name), &f) << f.name;
  }
  for (const auto* name :
       {"", "nope", "typ", "types", "Type", "page_url ", "a_name_longer_than_any_field_name_in_it"}) {
    EXPECT_EQ(find_field(name), nullptr) << name;
  }
}

TEST(event_fields, one_row_per_member_of_event_with_event_id_first) {
  // 59 members in event.h; each row names a different one.
  EXPECT_EQ(all_fields().size(), 59u);
  EXPECT_EQ(all_fields()[0].name, "event_id");  // encode() writes it before the loop
  for (std::size_t i = 0; i < all_fields().size(); ++i) {
    for (std::size_t j = i + 1; j < all_fields().size(); ++j) {
      EXPECT_NE(all_fields()[i].where, all_fields()[j].where)
          << all_fields()[i].name << " " << all_fields()[j].name;
    }
  }
}

TEST(event_fields, who_may_send_what) {
  std::set<std::string_view> from_tracker;
  for (const field& f : all_fields()) {
    if (f.from_tracker) from_tracker.insert(f.name);
  }
  const std::set<std::string_view> want = {"event_id",
                                           "type",
                                           "client_ts",
                                           "sent_ts",
                                           "anonymous_id",
                                           "user_id",
                                           "session_id",
                                           "page_url",
                                           "page_path",
                                           "page_title",
                                           "referrer",
                                           "target_tag",
                                           "target_id",
                                           "target_classes",
                                           "target_text",
                                           "target_href",
                                           "target_selector",
                                           "x",
                                           "y",
                                           "scroll_depth",
                                           "engaged_ms",
                                           "viewport_w",
                                           "viewport_h",
                                           "screen_w",
                                           "screen_h",
                                           "locale",
                                           "timezone",
                                           "props",
                                           "site"};
  EXPECT_EQ(from_tracker, want);
}

TEST(event_fields, cut_to_column_limits_cuts_free_text_only) {
  event e;
  e.ua = std::string(1023, 'u') + "\xC3\xA9";  // 1025 bytes, the é straddles 1 KiB
  e.ip = "203.0.113.0";
  e.site = std::string(300, 's');                           // an identifier: never cut
  e.props = "{\"k\":\"" + std::string(20000, 'p') + "\"}";  // limited by decode, not here
  EXPECT_TRUE(cut_to_column_limits(e));
  EXPECT_EQ(e.ua, std::string(1023, 'u'));
  EXPECT_EQ(e.ip, "203.0.113.0");
  EXPECT_EQ(e.site.size(), 300u);
  EXPECT_EQ(e.props->size(), 20008u);
  EXPECT_TRUE(e.truncated);

  event small;
  small.page_url = std::string(8192, 'u');
  EXPECT_FALSE(cut_to_column_limits(small));
  EXPECT_FALSE(small.truncated);
}

TEST(event_fields, every_reason_is_documented) {
  ASSERT_EQ(all_reasons().size(), 14u);
  for (const reason_info& r : all_reasons()) EXPECT_EQ(r.name, to_string(r.code));
}

TEST(event_fields, the_committed_schema_doc_is_current) {
  const std::string want = schema_markdown();
  std::ifstream file(CT_SOURCE_DIR "/docs/event-schema.md");
  std::stringstream committed;
  committed << file.rdbuf();
  if (committed.str() != want) {
    std::ofstream(CT_BINARY_DIR "/event-schema.md") << want;
    FAIL() << "docs/event-schema.md is out of date with src/event/fields.cc; the current text is in "
           << CT_BINARY_DIR "/event-schema.md: copy it to docs/event-schema.md";
  }
}

}  // namespace
}  // namespace clicktrail::event
