#include "ingest/stamp.h"

#include <gtest/gtest.h>

#include "base/uuid.h"

namespace clicktrail::ingest {
namespace {

TEST(stamp, fills_collector_fields_and_corrects_clock_skew) {
  event::event e;
  e.type = "click";
  e.client_ts = 1000;  // the client's clock is far off; only the span to sent_ts counts
  e.sent_ts = 4000;
  stamp(e, {"demo", 1'764'000'000'000, "203.0.113.0", "Mozilla/5.0", ""});
  EXPECT_EQ(e.site, "demo");
  EXPECT_EQ(e.collector_ts, 1'764'000'000'000);
  EXPECT_EQ(e.event_ts, 1'764'000'000'000 - 3000);
  EXPECT_EQ(e.ip, "203.0.113.0");
  EXPECT_EQ(e.ua, "Mozilla/5.0");
  const auto id = base::parse_uuid(e.event_id);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->version(), 7);
}

TEST(stamp, the_collectors_network_id_fills_only_events_without_one) {
  event::event e, own;
  own.network_id = "3f0b6c2e-6f7a-4c55-9a59-0cf7d1f5d3a1";  // a server-side tracker's nuid
  stamp(e, {"demo", 1, "", "", "9d1f4a2b-7c3e-4b8a-a1d2-3e4f5a6b7c8d"});
  stamp(own, {"demo", 1, "", "", "9d1f4a2b-7c3e-4b8a-a1d2-3e4f5a6b7c8d"});
  EXPECT_EQ(e.network_id, "9d1f4a2b-7c3e-4b8a-a1d2-3e4f5a6b7c8d");
  EXPECT_EQ(own.network_id, "3f0b6c2e-6f7a-4c55-9a59-0cf7d1f5d3a1");
  event::event none;
  stamp(none, {"demo", 1, "", "", ""});
  EXPECT_FALSE(none.network_id);
}

TEST(stamp, event_time_is_clamped_and_a_given_id_is_kept) {
  event::event e;
  e.event_id = "0189abcd-ef01-7abc-8def-0123456789ab";
  e.client_ts = 0;
  e.sent_ts = 100LL * 24 * 3600 * 1000;  // "happened 100 days before sending"
  stamp(e, {"demo", 1'764'000'000'000, "", "", ""});
  EXPECT_EQ(e.event_ts, 1'764'000'000'000 - max_event_age_ms);
  EXPECT_EQ(e.event_id, "0189abcd-ef01-7abc-8def-0123456789ab");
  EXPECT_FALSE(e.ip);

  event::event backwards;
  backwards.client_ts = 5000;
  backwards.sent_ts = 1000;  // nonsense: sent before it happened
  stamp(backwards, {"demo", 42, "", "", ""});
  EXPECT_EQ(backwards.event_ts, 42);
}

TEST(stamp, parses_utm_parameters_from_the_page_url) {
  event::event e;
  e.page_url =
      "https://me.github.io/post?utm_source=news%20letter&utm_medium=email&x=1&utm_campaign=a+b#utm_term=no";
  stamp(e, {"demo", 1, "", "", ""});
  EXPECT_EQ(e.utm_source, "news letter");
  EXPECT_EQ(e.utm_medium, "email");
  EXPECT_EQ(e.utm_campaign, "a b");
  EXPECT_FALSE(e.utm_term);  // after '#': not part of the query
  EXPECT_FALSE(e.truncated);
}

TEST(stamp, partition_key_prefers_anonymous_then_session_then_a_stable_hash) {
  event::event e;
  e.ip = "203.0.113.0";
  e.ua = "UA";
  const std::string hashed = partition_key(e);
  EXPECT_TRUE(hashed.starts_with("h:"));
  EXPECT_EQ(hashed, partition_key(e));
  e.session_id = "s1";
  EXPECT_EQ(partition_key(e), "s1");
  e.anonymous_id = "a1";
  EXPECT_EQ(partition_key(e), "a1");
}

}  // namespace
}  // namespace clicktrail::ingest
