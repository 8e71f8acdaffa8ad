#pragma once
// The function itself: one API Gateway proxy event through the ingest pipeline, answered as the
// HTTP collector answers the same request (routes, statuses, bodies, CORS headers).
//
// Lifetime: one per process, created at init after the pipeline it calls.
// Thread-safety: none needed; the runtime loop hands it one invocation at a time.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "ingest/pipeline.h"
#include "ingest/routes.h"

namespace clicktrail::lambda {

class function {
 public:
  function(ingest::pipeline& pipeline, std::vector<ingest::ingest_route> routes)
      : pipeline_(pipeline), routes_(std::move(routes)) {}

  // The proxy response for `event`, or a reject error when `event` is not from API Gateway.
  // Returns by `answer_by` at the latest: the pipeline answers 503 then if the events are not
  // yet durable.
  base::result<std::string> handle(std::string_view event, base::steady::time_point answer_by);

 private:
  ingest::pipeline& pipeline_;
  std::vector<ingest::ingest_route> routes_;  // the HTTP collector's (ingest/routes.h)
};

}  // namespace clicktrail::lambda
