#include "lambda/function.h"

#include <future>
#include <utility>

#include "ingest/responses.h"
#include "lambda/api_gateway.h"

namespace clicktrail::lambda {

base::result<std::string> function::handle(std::string_view event, base::steady::time_point answer_by) {
  auto decoded = decode_proxy_event(event);
  if (!decoded) return std::move(decoded).err();
  proxy_request& req = *decoded;
  req.ingest.answer_by = answer_by;

  std::promise<ingest::ingest_response> answered;
  auto respond = [&answered](ingest::ingest_response r) { answered.set_value(std::move(r)); };
  bool path_known = false;
  if (const ingest::ingest_route* route = ingest::find_route(routes_, req.method, req.path, path_known)) {
    pipeline_.serve(*route, std::move(req.ingest), respond);
  } else {
    respond(ingest::no_route(req.method, req.path, path_known));
  }
  // Bounded: the pipeline answers by answer_by whatever its event log does.
  return encode_proxy_response(req.format, answered.get_future().get());
}

}  // namespace clicktrail::lambda
