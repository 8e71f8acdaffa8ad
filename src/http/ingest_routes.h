#pragma once
// The collector's native ingest API on HTTP: POST and OPTIONS /v1/events, GET /v1/p.gif. Each
// route only translates between HTTP and ingest's transport-free request and answer.

#include "http/router.h"
#include "ingest/pipeline.h"

namespace clicktrail::http {

// `pipeline` must outlive the server.
void add_ingest_routes(router& routes, ingest::pipeline& pipeline);

}  // namespace clicktrail::http
