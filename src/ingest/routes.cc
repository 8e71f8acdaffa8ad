#include "ingest/routes.h"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "ingest/exchange.h"

namespace clicktrail::ingest {
namespace {

using event::segment_call;

// Segment's paths under a prefix: the API's names and analytics.js's first letters.
constexpr std::array<std::pair<std::string_view, segment_call>, 15> segment_paths{{
    {"/track", segment_call::track},
    {"/t", segment_call::track},
    {"/page", segment_call::page},
    {"/p", segment_call::page},
    {"/screen", segment_call::screen},
    {"/s", segment_call::screen},
    {"/identify", segment_call::identify},
    {"/i", segment_call::identify},
    {"/group", segment_call::group},
    {"/g", segment_call::group},
    {"/alias", segment_call::alias},
    {"/a", segment_call::alias},
    {"/batch", segment_call::batch},
    {"/b", segment_call::batch},
    {"/import", segment_call::batch},
}};

}  // namespace

base::result<std::vector<ingest_route>> ingest_routes(const config::config& cfg) {
  std::vector<ingest_route> routes;
  const auto post = [&routes](std::string path, door d, protocol p, segment_call call = segment_call::track) {
    routes.push_back({"POST", path, d, p, call});
    routes.push_back({"OPTIONS", std::move(path), door::preflight, p, call});
  };
  post(std::string(events_path), door::events, protocol::native);
  for (const auto& alias : cfg.ingest.events_paths) post(alias, door::events, protocol::native);
  routes.push_back({"GET", std::string(pixel_path), door::pixel, protocol::native});
  for (const auto& alias : cfg.ingest.pixel_paths)
    routes.push_back({"GET", alias, door::pixel, protocol::native});

  if (cfg.snowplow.enabled) {
    // The tp2 path and every alias take the POST body, and the pixel's GET as Snowplow's
    // collector does; /i and /ice.png take the GET alone (and the preflight some trackers send).
    std::vector<std::string> tp2 = {std::string(snowplow_tp2_path)};
    tp2.insert(tp2.end(), cfg.snowplow.paths.begin(), cfg.snowplow.paths.end());
    for (const auto& path : tp2) {
      post(path, door::snowplow_post, protocol::snowplow);
      routes.push_back({"GET", path, door::snowplow_pixel, protocol::snowplow});
    }
    for (const auto path : snowplow_pixel_paths) {
      routes.push_back({"GET", std::string(path), door::snowplow_pixel, protocol::snowplow});
      routes.push_back({"OPTIONS", std::string(path), door::preflight, protocol::snowplow});
    }
  }
  if (cfg.segment.enabled) {
    for (const auto& prefix : cfg.segment.prefixes) {
      for (const auto& [suffix, call] : segment_paths)
        post(prefix + std::string(suffix), door::segment, protocol::segment, call);
    }
  }

  for (std::size_t i = 0; i < routes.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (routes[i].method == routes[j].method && routes[i].path == routes[j].path) {
        return base::error::fail(fmt::format(
            "{} {} is claimed twice (ingest.events_paths, ingest.pixel_paths, snowplow.paths, "
            "segment.prefixes and the built-in ingest paths must not overlap); change one of them",
            routes[i].method, routes[i].path));
      }
    }
  }
  return routes;
}

const ingest_route* find_route(const std::vector<ingest_route>& routes, std::string_view method,
                               std::string_view path, bool& path_known) noexcept {
  path_known = false;
  for (const auto& r : routes) {
    if (r.path != path) continue;
    if (r.method == method) return &r;
    path_known = true;
  }
  return nullptr;
}

}  // namespace clicktrail::ingest
