#include "lambda/function.h"

#include <future>
#include <utility>

#include "ingest/responses.h"
#include "lambda/api_gateway.h"

namespace clicktrail::lambda {

using ingest::events_path;
using ingest::pixel_path;

base::result<std::string> function::handle(std::string_view event, base::steady::time_point answer_by) {
  auto decoded = decode_proxy_event(event);
  if (!decoded) return std::move(decoded).err();
  proxy_request& req = *decoded;
  req.ingest.answer_by = answer_by;

  std::promise<ingest::ingest_response> answered;
  auto respond = [&answered](ingest::ingest_response r) { answered.set_value(std::move(r)); };
  if (req.method == "POST" && req.path == events_path) {
    pipeline_.post_events(std::move(req.ingest), respond);
  } else if (req.method == "OPTIONS" && req.path == events_path) {
    respond(pipeline_.preflight(req.ingest));
  } else if (req.method == "GET" && req.path == pixel_path) {
    pipeline_.pixel(std::move(req.ingest), respond);
  } else {
    respond(ingest::no_route(req.method, req.path, req.path == events_path || req.path == pixel_path));
  }
  // Bounded: the pipeline answers by answer_by whatever its event log does.
  return encode_proxy_response(req.format, answered.get_future().get());
}

}  // namespace clicktrail::lambda
