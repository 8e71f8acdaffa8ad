#pragma once
// Ingest on HTTP: every route of ingest/routes.h (clicktrail's own, Snowplow's and Segment's),
// each only translating between HTTP and ingest's transport-free request and answer.

#include <vector>

#include "http/router.h"
#include "ingest/pipeline.h"
#include "ingest/routes.h"

namespace clicktrail::http {

// `pipeline` must outlive the server.
void add_ingest_routes(router& routes, ingest::pipeline& pipeline,
                       const std::vector<ingest::ingest_route>& ingest);

}  // namespace clicktrail::http
