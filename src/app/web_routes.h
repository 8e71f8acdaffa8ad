#pragma once
// The web routes of `clicktrail run`: the embedded files (demo, inspector, tracker) and the
// inspector's event stream.

#include "app/inspect_feed.h"
#include "http/router.h"

namespace clicktrail::app {

// `feed` must outlive the server that serves these routes.
void add_web_routes(http::router& routes, inspect_feed& feed);

}  // namespace clicktrail::app
