#include "ingest/pending_answer.h"

#include <utility>

#include "ingest/responses.h"

namespace clicktrail::ingest {
namespace {

// What the tracker is told to wait before retrying a 503.
constexpr const char* retry_after_seconds = "2";

}  // namespace

pending_answer::pending_answer(std::size_t records, ingest_response success, respond_fn respond, probe& p)
    : remaining_(records), success_(std::move(success)), respond_(std::move(respond)), probe_(p) {}

void pending_answer::delivered(const base::status& s) {
  if (!s) failed_.store(true, std::memory_order_relaxed);
  if (remaining_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  answer(!failed_.load(std::memory_order_relaxed));
}

void pending_answer::expire() {
  answer(false);
}

void pending_answer::answer(bool durable) {
  if (answered_.exchange(true, std::memory_order_acq_rel)) return;
  // Moved out so that the connection the callback holds is released now, not when the last
  // straggling delivery result arrives.
  respond_fn respond = std::move(respond_);
  if (durable) return respond(std::move(success_));
  probe_.not_durable.inc();
  auto r = error_response(503, "not_durable",
                          "the events could not be made durable in time; retry the same request later");
  for (const auto& h : success_.headers) {
    if (h.first.starts_with("Access-Control-") || h.first == "Vary") r.headers.push_back(h);
  }
  r.headers.emplace_back("Retry-After", retry_after_seconds);
  success_ = {};
  respond(std::move(r));
}

}  // namespace clicktrail::ingest
