#include "http/ops_routes.h"

namespace clicktrail::http {

void add_ops_routes(router& routes, base::registry& metrics, std::function<bool()> ready) {
  routes.add("GET", "/healthz", [](request&&, reply_fn reply) {
    reply(response{200, "text/plain; charset=utf-8", "ok\n", {}, {}});
  });
  routes.add("GET", "/readyz", [ready = std::move(ready)](request&&, reply_fn reply) {
    if (!ready || ready()) return reply(response{200, "text/plain; charset=utf-8", "ready\n", {}, {}});
    reply(response::json_error(503, "not_ready", "the event log (Kafka) cannot be reached; see the logs"));
  });
  routes.add("GET", "/metrics", [&metrics](request&&, reply_fn reply) {
    reply(response{200, "text/plain; version=0.0.4; charset=utf-8", metrics.expose(), {}, {}});
  });
}

}  // namespace clicktrail::http
