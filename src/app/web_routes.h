#pragma once
// The web routes of `clicktrail run`: the embedded files (demo, tracker, the inspector's script
// and style) for everyone, and the inspector's page and event stream for operators.

#include <string_view>

#include "app/inspect_feed.h"
#include "http/operator_access.h"
#include "http/router.h"

namespace clicktrail::app {

// The demo, the tracker at `tracker_path` (http.tracker_path; the demo pages load it from
// there), and the inspector's static files.
void add_web_routes(http::router& routes, std::string_view tracker_path);

// GET /inspect (the page) and /inspect/stream, mounted by `mount` (operator_access.h). `feed`
// must outlive the server that serves them.
void add_inspect_routes(http::router& routes, inspect_feed& feed, const http::guard& mount);

}  // namespace clicktrail::app
