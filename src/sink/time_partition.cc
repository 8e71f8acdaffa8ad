#include "sink/time_partition.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace clicktrail::sink {

namespace {

constexpr std::int64_t max_ms = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z
constexpr std::int64_t hour_ms = 3'600'000;

}  // namespace

const std::string& time_partitioner::of(std::int64_t unix_ms) {
  // Every layout field (%Y %m %d %H) is fixed within an hour.
  const std::int64_t hour = std::clamp<std::int64_t>(unix_ms, 0, max_ms) / hour_ms;
  if (hour != hour_) {
    last_ = time_partition(layout_, unix_ms);
    hour_ = hour;
  }
  return last_;
}

std::string time_partition(std::string_view layout, std::int64_t unix_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds(std::clamp<std::int64_t>(unix_ms, 0, max_ms))};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const auto hour = duration_cast<hours>(t - day).count();
  std::string out;
  out.reserve(layout.size() + 8);
  for (std::size_t i = 0; i < layout.size(); ++i) {
    if (layout[i] != '%' || i + 1 == layout.size()) {
      out.push_back(layout[i]);
      continue;
    }
    switch (layout[++i]) {
      case 'Y':
        out += fmt::format("{:04}", static_cast<int>(ymd.year()));
        break;
      case 'm':
        out += fmt::format("{:02}", static_cast<unsigned>(ymd.month()));
        break;
      case 'd':
        out += fmt::format("{:02}", static_cast<unsigned>(ymd.day()));
        break;
      case 'H':
        out += fmt::format("{:02}", hour);
        break;
      default:
        out.push_back('%'), out.push_back(layout[i]);
    }
  }
  return out;
}

}  // namespace clicktrail::sink
