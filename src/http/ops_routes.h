#pragma once
// The operations routes every clicktrail server offers: /healthz (the process is up), /readyz
// (it can do its job: e.g. reach Kafka) and /metrics (Prometheus text).

#include <functional>
#include <optional>
#include <string>

#include "base/metrics.h"
#include "http/operator_access.h"
#include "http/router.h"

namespace clicktrail::http {

// What keeps a server from doing its job, in one sentence for /readyz's answer; nullopt when
// nothing does.
using readiness = std::function<std::optional<std::string>()>;

// /healthz and /readyz. `not_ready` is called on a server thread for each /readyz request and
// must not block (a readiness_watch's not_ready() does not); absent, /readyz always answers 200.
void add_health_routes(router& routes, readiness not_ready = {});

// /metrics, an operator route, mounted by `mount` (operator_access.h). `metrics` must outlive the
// server that serves it.
void add_metrics_route(router& routes, base::registry& metrics, const guard& mount);

// All three as they are: for a listener only operators reach (the sink's sink.listen).
void add_ops_routes(router& routes, base::registry& metrics, readiness not_ready = {});

}  // namespace clicktrail::http
