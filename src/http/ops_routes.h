#pragma once
// The operations routes every clicktrail server offers: /healthz (the process is up), /readyz
// (it can do its job: e.g. reach Kafka) and /metrics (Prometheus text).

#include <functional>

#include "base/metrics.h"
#include "http/router.h"

namespace clicktrail::http {

// `metrics` must outlive the server that serves these routes. `ready` is called on a server
// thread for each /readyz request and may block briefly; absent, /readyz always answers 200.
void add_ops_routes(router& routes, base::registry& metrics, std::function<bool()> ready = {});

}  // namespace clicktrail::http
