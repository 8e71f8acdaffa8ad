#include "http/ops_routes.h"

namespace clicktrail::http {

void add_health_routes(router& routes, readiness not_ready) {
  routes.add("GET", "/healthz", [](request&&, reply_fn reply) {
    reply(response{200, "text/plain; charset=utf-8", "ok\n", {}, {}});
  });
  routes.add("GET", "/readyz", [not_ready = std::move(not_ready)](request&&, reply_fn reply) {
    const auto why = not_ready ? not_ready() : std::nullopt;
    if (!why) return reply(response{200, "text/plain; charset=utf-8", "ready\n", {}, {}});
    reply(response::json_error(503, "not_ready", *why));
  });
}

void add_metrics_route(router& routes, base::registry& metrics, const guard& mount) {
  routes.add("GET", "/metrics", mount([&metrics](request&&, reply_fn reply) {
               reply(response{200, "text/plain; version=0.0.4; charset=utf-8", metrics.expose(), {}, {}});
             }));
}

void add_ops_routes(router& routes, base::registry& metrics, readiness not_ready) {
  add_health_routes(routes, std::move(not_ready));
  add_metrics_route(routes, metrics, unguarded());
}

}  // namespace clicktrail::http
