#include "ingest/routes.h"

#include <gtest/gtest.h>

namespace clicktrail::ingest {
namespace {

const ingest_route* route(const std::vector<ingest_route>& routes, std::string_view method,
                          std::string_view path) {
  bool known = false;
  return find_route(routes, method, path, known);
}

TEST(ingest_routes, every_protocol_has_its_paths_and_methods) {
  config::config cfg;
  cfg.snowplow.paths = {"/collect"};
  cfg.ingest.events_paths = {"/a/e"};
  cfg.ingest.pixel_paths = {"/a/p.gif"};
  auto routes = ingest_routes(cfg);
  ASSERT_TRUE(routes) << routes.err().message;
  EXPECT_EQ(route(*routes, "POST", "/a/e")->door, door::events);
  EXPECT_EQ(route(*routes, "OPTIONS", "/a/e")->of, protocol::native);
  EXPECT_EQ(route(*routes, "GET", "/a/p.gif")->door, door::pixel);
  EXPECT_EQ(route(*routes, "POST", "/v1/events")->door, door::events);
  EXPECT_EQ(route(*routes, "OPTIONS", "/v1/events")->door, door::preflight);
  EXPECT_EQ(route(*routes, "GET", "/v1/p.gif")->door, door::pixel);
  EXPECT_EQ(route(*routes, "POST", "/com.snowplowanalytics.snowplow/tp2")->door, door::snowplow_post);
  EXPECT_EQ(route(*routes, "GET", "/com.snowplowanalytics.snowplow/tp2")->door, door::snowplow_pixel);
  EXPECT_EQ(route(*routes, "GET", "/i")->door, door::snowplow_pixel);
  EXPECT_EQ(route(*routes, "GET", "/ice.png")->door, door::snowplow_pixel);
  EXPECT_EQ(route(*routes, "POST", "/collect")->door, door::snowplow_post);
  EXPECT_EQ(route(*routes, "OPTIONS", "/collect")->of, protocol::snowplow);
  const auto* track = route(*routes, "POST", "/v1/t");
  ASSERT_TRUE(track);
  EXPECT_EQ(track->door, door::segment);
  EXPECT_EQ(track->call, event::segment_call::track);
  EXPECT_EQ(route(*routes, "POST", "/v1/import")->call, event::segment_call::batch);
  EXPECT_EQ(route(*routes, "OPTIONS", "/v1/b")->of, protocol::segment);

  bool known = false;
  EXPECT_EQ(find_route(*routes, "GET", "/v1/track", known), nullptr);
  EXPECT_TRUE(known) << "405, not 404";
  EXPECT_EQ(find_route(*routes, "GET", "/nope", known), nullptr);
  EXPECT_FALSE(known);
}

TEST(ingest_routes, disabled_protocols_serve_nothing) {
  config::config cfg;
  cfg.snowplow.enabled = false;
  cfg.segment.enabled = false;
  auto routes = ingest_routes(cfg);
  ASSERT_TRUE(routes);
  EXPECT_EQ(routes->size(), 3u);
}

TEST(ingest_routes, a_path_claimed_twice_is_refused_naming_it) {
  config::config cfg;
  cfg.snowplow.paths = {"/v1/t"};  // Segment's track
  auto routes = ingest_routes(cfg);
  ASSERT_FALSE(routes);
  EXPECT_NE(routes.err().message.find("POST /v1/t is claimed twice"), std::string::npos)
      << routes.err().message;
}

}  // namespace
}  // namespace clicktrail::ingest
