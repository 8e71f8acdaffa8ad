#pragma once
// The store module's metrics, declared in one place. Everything is registered when a store is
// opened, so the request path only touches atomics; any thread may update them.
//
//   clicktrail_store_requests_total{store,op,outcome}  operations by final outcome (ok|retry|fail),
//                                                      after the S3 client's own retries
//   clicktrail_store_retries_total{store,op}           S3 requests sent again after a transient error
//   clicktrail_store_upload_bytes_total{store}         object bytes accepted by the store
//   clicktrail_store_request_seconds{store,op}         one request (one attempt) from send to answer

#include <array>
#include <cstddef>
#include <string_view>

#include "base/metrics.h"
#include "base/result.h"

namespace clicktrail::store {

enum class op : std::size_t {
  put,
  get,
  head,
  list,
  remove,
  create_multipart,
  upload_part,
  complete_multipart,
  abort_multipart,
};
inline constexpr std::size_t op_count = 9;

constexpr std::string_view to_string(op o) {
  constexpr std::array<std::string_view, op_count> names = {"put",
                                                            "get",
                                                            "head",
                                                            "list",
                                                            "remove",
                                                            "create_multipart",
                                                            "upload_part",
                                                            "complete_multipart",
                                                            "abort_multipart"};
  return names[static_cast<std::size_t>(o)];
}

class store_probe {
 public:
  // `store` is the label value: "s3" or "local".
  store_probe(base::registry& r, std::string_view store)
      : upload_bytes_(r.add_counter("clicktrail_store_upload_bytes_total",
                                    "Object bytes the store accepted (PUT bodies and uploaded parts).",
                                    {{"store", std::string(store)}})) {
    for (std::size_t i = 0; i < op_count; ++i) {
      const std::string name(to_string(static_cast<op>(i)));
      auto requests = [&](const char* outcome) -> base::counter& {
        return r.add_counter("clicktrail_store_requests_total",
                             "Store operations by final outcome (ok, retry, fail), after retries.",
                             {{"store", std::string(store)}, {"op", name}, {"outcome", outcome}});
      };
      ops_[i] = {
          &requests("ok"), &requests("retry"), &requests("fail"),
          &r.add_counter("clicktrail_store_retries_total",
                         "Requests sent again after a transient error (5xx, SlowDown, timeout, reset).",
                         {{"store", std::string(store)}, {"op", name}}),
          &r.add_histogram("clicktrail_store_request_seconds",
                           "Time of one store request (one attempt), from send to answer.",
                           base::latency_buckets(), {{"store", std::string(store)}, {"op", name}})};
    }
  }

  void finished(op o, const base::error* e) noexcept {
    const auto& m = ops_[static_cast<std::size_t>(o)];
    if (e == nullptr) {
      m.ok->inc();
    } else if (e->retriable()) {
      m.retry->inc();
    } else {
      m.fail->inc();
    }
  }
  void finished(op o, const base::status& s) noexcept { finished(o, s ? nullptr : &s.err()); }
  void retried(op o) noexcept { ops_[static_cast<std::size_t>(o)].retries->inc(); }
  void latency(op o, double seconds) noexcept { ops_[static_cast<std::size_t>(o)].latency->observe(seconds); }
  void uploaded(std::size_t bytes) noexcept { upload_bytes_.inc(bytes); }

 private:
  struct per_op {
    base::counter* ok = nullptr;
    base::counter* retry = nullptr;
    base::counter* fail = nullptr;
    base::counter* retries = nullptr;
    base::histogram* latency = nullptr;
  };
  std::array<per_op, op_count> ops_{};
  base::counter& upload_bytes_;
};

}  // namespace clicktrail::store
