#include "http/ingest_routes.h"

namespace clicktrail::http {
namespace {

ingest::ingest_request to_ingest(request&& req) {
  ingest::ingest_request out;
  out.query = std::move(req.query);
  out.body = std::move(req.body);
  out.peer = std::move(req.peer);
  out.content_type = req.header("content-type");
  out.content_encoding = req.header("content-encoding");
  out.origin = req.header("origin");
  out.site_header = req.header("x-clicktrail-site");
  out.user_agent = req.header("user-agent");
  out.forwarded_for = req.header("x-forwarded-for");
  out.cookie = req.header("cookie");
  out.authorization = req.header("authorization");
  out.sp_anonymous = !req.header("sp-anonymous").empty();
  const auto retries = req.header("x-retry-count");
  out.retry = !retries.empty() && retries != "0";
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
