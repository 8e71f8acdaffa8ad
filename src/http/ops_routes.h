#pragma once
// The operations routes every clicktrail server offers: /healthz (the process is up) and
// /metrics (Prometheus text). /readyz joins them once there is a log or broker to be ready for.

#include "base/metrics.h"
#include "http/router.h"

namespace clicktrail::http {

// `metrics` must outlive the server that serves these routes.
void add_ops_routes(router& routes, base::registry& metrics);

}  // namespace clicktrail::http
