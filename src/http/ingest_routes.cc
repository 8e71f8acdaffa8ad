#include "http/ingest_routes.h"

#include <cstdint>
#include <iterator>
#include <utility>

namespace clicktrail::http {
namespace {

ingest::ingest_request to_ingest(request&& req) {
  ingest::ingest_request out;
  out.query = std::move(req.query);
  out.body = std::move(req.body);
  out.peer = std::move(req.peer);
  // One pass over the headers, each value moved rather than copied; the first of a name wins, as
  // request::header() has it.
  const std::pair<std::string_view, std::string ingest::ingest_request::*> wanted[] = {
      {"content-type", &ingest::ingest_request::content_type},
      {"content-encoding", &ingest::ingest_request::content_encoding},
      {"origin", &ingest::ingest_request::origin},
      {"x-clicktrail-site", &ingest::ingest_request::site_header},
      {"user-agent", &ingest::ingest_request::user_agent},
      {"x-forwarded-for", &ingest::ingest_request::forwarded_for},
      {"cookie", &ingest::ingest_request::cookie},
      {"authorization", &ingest::ingest_request::authorization},
  };
  std::uint32_t taken = 0;  // bit i: wanted[i] was seen
  bool anonymous_seen = false, retry_seen = false;
  for (auto& [name, value] : req.headers) {
    if (name == "sp-anonymous" && !std::exchange(anonymous_seen, true)) out.sp_anonymous = !value.empty();
    if (name == "x-retry-count" && !std::exchange(retry_seen, true))
      out.retry = !value.empty() && value != "0";
    for (std::size_t i = 0; i < std::size(wanted); ++i) {
      if ((taken >> i & 1) != 0 || name != wanted[i].first) continue;
      out.*wanted[i].second = std::move(value);
      taken |= 1u << i;
      break;
    }
  }
  return out;
}

response to_http(ingest::ingest_response&& r) {
  response out;
  out.status = r.status;
  out.content_type = std::move(r.content_type);
  out.body = std::move(r.body);
  out.headers = std::move(r.headers);
  return out;
}

ingest::respond_fn forward(reply_fn reply) {
  return [reply = std::move(reply)](ingest::ingest_response r) { reply(to_http(std::move(r))); };
}

}  // namespace

void add_ingest_routes(router& routes, ingest::pipeline& pipeline,
                       const std::vector<ingest::ingest_route>& ingest) {
  for (const ingest::ingest_route& route : ingest) {
    routes.add(route.method, route.path, [&pipeline, route](request&& req, reply_fn reply) {
      pipeline.serve(route, to_ingest(std::move(req)), forward(std::move(reply)));
    });
  }
}

}  // namespace clicktrail::http
