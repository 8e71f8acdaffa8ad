#pragma once
// The operations routes every clicktrail server offers: /healthz (the process is up), /readyz
// (it can do its job: e.g. reach Kafka) and /metrics (Prometheus text).

#include <functional>
#include <optional>
#include <string>

#include "base/metrics.h"
#include "http/router.h"

namespace clicktrail::http {

// What keeps a server from doing its job, in one sentence for /readyz's answer; nullopt when
// nothing does.
using readiness = std::function<std::optional<std::string>()>;

// `metrics` must outlive the server that serves these routes. `not_ready` is called on a server
// thread for each /readyz request and must not block (a readiness_watch's not_ready() does not);
// absent, /readyz always answers 200.
void add_ops_routes(router& routes, base::registry& metrics, readiness not_ready = {});

}  // namespace clicktrail::http
