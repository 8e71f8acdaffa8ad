#pragma once
// The time partition of a record: the layout ("year=%Y/month=%m/day=%d/hour=%H") filled in
// with a timestamp's UTC date and hour.

#include <cstdint>
#include <string>
#include <string_view>

namespace clicktrail::sink {

// `layout` has been validated (only %Y %m %d %H). Timestamps before 1970 or after 9999 are
// clamped into that range.
std::string time_partition(std::string_view layout, std::int64_t unix_ms);

// time_partition() for a stream of timestamps, remembering the last hour's: records come in runs
// of one hour, and formatting the path was 2.5% of the sink's CPU.
class time_partitioner {
 public:
  explicit time_partitioner(std::string layout) : layout_(std::move(layout)) {}
  const std::string& of(std::int64_t unix_ms);
  const std::string& layout() const noexcept { return layout_; }

 private:
  std::string layout_;
  std::int64_t hour_ = -1;  // of last_; timestamps are clamped to 1970 and later, so -1 is none
  std::string last_;
};

}  // namespace clicktrail::sink
