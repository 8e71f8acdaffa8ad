#include "kafka/read_ahead.h"

#include <algorithm>
#include <utility>

namespace clicktrail::kafka {

void read_ahead::hold(message_ptr m) {
  bytes_ += static_cast<std::int64_t>(m->len);
  ++count_;
  held_[m->partition].push_back(std::move(m));
}

std::vector<std::unique_ptr<record>> read_ahead::take(std::size_t max, const client_ref& client) {
  std::vector<std::unique_ptr<record>> out;
  out.reserve(std::min(max, count_));
  std::vector<std::int32_t> turn;
  // Equal shares of what is left to fill, until the batch is full or nothing is left.
  while (out.size() < max && count_ > 0) {
    turn.clear();
    for (auto it = held_.lower_bound(first_turn_); it != held_.end(); ++it) turn.push_back(it->first);
    for (auto it = held_.begin(); it != held_.end() && it->first < first_turn_; ++it)
      turn.push_back(it->first);
    const std::size_t share = std::max<std::size_t>(1, (max - out.size()) / turn.size());
    for (const std::int32_t p : turn) {
      if (out.size() == max) break;
      const auto it = held_.find(p);
      auto& records = it->second;
      for (std::size_t n = std::min({share, records.size(), max - out.size()}); n > 0; --n) {
        bytes_ -= static_cast<std::int64_t>(records.front()->len);
        out.push_back(std::make_unique<message_record>(std::move(records.front()), client));
        records.pop_front();
        --count_;
      }
      if (records.empty()) held_.erase(it);
    }
  }
  if (!out.empty()) first_turn_ = out.front()->partition() + 1;
  return out;
}

std::size_t read_ahead::drop(std::optional<std::int32_t> partition) {
  std::size_t dropped = 0;
  for (auto it = held_.begin(); it != held_.end();) {
    if (partition && it->first != *partition) {
      ++it;
      continue;
    }
    for (const auto& m : it->second) bytes_ -= static_cast<std::int64_t>(m->len);
    dropped += it->second.size();
    it = held_.erase(it);
  }
  count_ -= dropped;
  return dropped;
}

}  // namespace clicktrail::kafka
