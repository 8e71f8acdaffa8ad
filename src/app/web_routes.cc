#include "app/web_routes.h"

#include <string>

#include "app/assets.h"

namespace clicktrail::app {
namespace {

constexpr std::string_view built_in_tracker_path = "/clicktrail.js";

// The demo pages load the tracker from where it is served.
std::string with_tracker_at(std::string page, std::string_view tracker_path) {
  const std::string from = "src=\"" + std::string(built_in_tracker_path) + "\"";
  const std::string to = "src=\"" + std::string(tracker_path) + "\"";
  for (auto at = page.find(from); at != std::string::npos; at = page.find(from, at + to.size()))
    page.replace(at, from.size(), to);
  return page;
}

constexpr std::string_view inspect_page_path = "/inspect";

http::response asset_response(const asset& a, const std::string& body) {
  // The tracker may change with the binary; pages are small. Caching stays short.
  return http::response{200, std::string(a.content_type), body, {{"Cache-Control", "max-age=60"}}, {}};
}

}  // namespace

void add_web_routes(http::router& routes, std::string_view tracker_path) {
  for (const asset& a : embedded_assets()) {
    if (a.path == inspect_page_path) continue;  // an operator route
    const bool tracker = a.path == built_in_tracker_path;
    std::string path(tracker ? tracker_path : a.path);
    std::string body(a.bytes);
    if (a.content_type.starts_with("text/html") && tracker_path != built_in_tracker_path)
      body = with_tracker_at(std::move(body), tracker_path);
    routes.add("GET", std::move(path), [&a, body = std::move(body)](http::request&&, http::reply_fn reply) {
      reply(asset_response(a, body));
    });
  }
}

void add_inspect_routes(http::router& routes, inspect_feed& feed, const http::guard& mount) {
  for (const asset& a : embedded_assets()) {
    if (a.path != inspect_page_path) continue;
    routes.add("GET", std::string(a.path),
               mount([&a, body = std::string(a.bytes)](http::request&&, http::reply_fn reply) {
                 reply(asset_response(a, body));
               }));
  }
  routes.add(
      "GET", "/inspect/stream", mount([&feed](http::request&&, http::reply_fn reply) {
        if (!feed.has_room()) {
          return reply(http::response::json_error(
              503, "inspect_busy",
              "every /inspect/stream place is taken (http.inspect_max_streams); close an inspector "
              "tab, or raise the limit"));
        }
        http::response r{200, "text/event-stream; charset=utf-8", "", {{"Cache-Control", "no-store"}}, {}};
        r.stream = [&feed](std::shared_ptr<http::stream_writer> w) { feed.subscribe(std::move(w)); };
        reply(std::move(r));
      }));
}

}  // namespace clicktrail::app
