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

}  // namespace clicktrail::sink
