#include "sink/recent_ids.h"

namespace clicktrail::sink {

recent_ids::recent_ids(std::size_t capacity) : capacity_(capacity), set_(capacity == 0 ? 1 : capacity) {
  order_.reserve(capacity);
}

bool recent_ids::repeat(const base::uuid& id) {
  if (capacity_ == 0) return false;
  if (!set_.insert(id).second) return true;
  if (order_.size() < capacity_) {
    order_.push_back(id);
    return false;
  }
  set_.erase(order_[next_]);
  order_[next_] = id;
  next_ = (next_ + 1) % capacity_;
  return false;
}

}  // namespace clicktrail::sink
