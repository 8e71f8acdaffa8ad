#include "ingest/event_log.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

namespace clicktrail::ingest {

durable_fn per_record(std::size_t records, durable_fn done) {
  struct shared {
    std::atomic<std::size_t> left;
    std::mutex mutex;
    std::optional<base::error> first_error;
    durable_fn done;
  };
  auto all = std::make_shared<shared>();
  all->left = records;
  all->done = std::move(done);
  return [all](base::status s) {
    if (!s) {
      const std::lock_guard lock(all->mutex);
      if (!all->first_error) all->first_error = s.err();
    }
    if (all->left.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    std::optional<base::error> failed;
    {
      const std::lock_guard lock(all->mutex);
      failed = std::move(all->first_error);
    }
    durable_fn finish = std::move(all->done);
    finish(failed ? base::status(std::move(*failed)) : base::status());
  };
}

}  // namespace clicktrail::ingest
