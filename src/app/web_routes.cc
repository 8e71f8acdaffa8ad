#include "app/web_routes.h"

#include "app/assets.h"

namespace clicktrail::app {

void add_web_routes(http::router& routes, inspect_feed& feed) {
  for (const asset& a : embedded_assets()) {
    routes.add("GET", std::string(a.path), [&a](http::request&&, http::reply_fn reply) {
      // The tracker may change with the binary; pages are small. Caching stays short.
      reply(http::response{
          200, std::string(a.content_type), std::string(a.bytes), {{"Cache-Control", "max-age=60"}}, {}});
    });
  }
  routes.add("GET", "/inspect/stream", [&feed](http::request&&, http::reply_fn reply) {
    http::response r{200, "text/event-stream; charset=utf-8", "", {{"Cache-Control", "no-store"}}, {}};
    r.stream = [&feed](std::shared_ptr<http::stream_writer> w) { feed.subscribe(std::move(w)); };
    reply(std::move(r));
  });
}

}  // namespace clicktrail::app
