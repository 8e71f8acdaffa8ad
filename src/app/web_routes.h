#pragma once
// The web routes of `clicktrail run`: the embedded files (demo, inspector, tracker) and the
// inspector's event stream.

#include <string_view>

#include "app/inspect_feed.h"
#include "http/router.h"

namespace clicktrail::app {

// `feed` must outlive the server that serves these routes. The tracker is served at
// `tracker_path` (http.tracker_path), and the demo pages load it from there.
void add_web_routes(http::router& routes, inspect_feed& feed, std::string_view tracker_path);

}  // namespace clicktrail::app
