#include "base/iso8601.h"

#include <cstddef>

namespace clicktrail::base {
namespace {

// Reads `n` decimal digits at `at`, advancing it.
bool digits(std::string_view s, std::size_t& at, std::size_t n, int& out) noexcept {
  if (s.size() - at < n) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[at + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  at += n;
  out = v;
  return true;
}

bool take(std::string_view s, std::size_t& at, char c) noexcept {
  if (at >= s.size() || s[at] != c) return false;
  ++at;
  return true;
}

bool leap(int y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) noexcept {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's
// days_from_civil).
std::int64_t days_from_civil(int y, int m, int d) noexcept {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

}  // namespace

std::optional<std::int64_t> parse_iso8601_ms(std::string_view s) noexcept {
  if (s.size() > 64) return std::nullopt;  // the longest valid form is 35 bytes
  std::size_t at = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, ms = 0;
  if (!digits(s, at, 4, year) || !take(s, at, '-') || !digits(s, at, 2, month) || !take(s, at, '-') ||
      !digits(s, at, 2, day))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return std::nullopt;
  if (at >= s.size() || (s[at] != 'T' && s[at] != 't' && s[at] != ' ')) return std::nullopt;
  ++at;
  if (!digits(s, at, 2, hour) || !take(s, at, ':') || !digits(s, at, 2, minute)) return std::nullopt;
  if (take(s, at, ':')) {
    if (!digits(s, at, 2, second)) return std::nullopt;
    if (at < s.size() && (s[at] == '.' || s[at] == ',')) {
      ++at;
      std::size_t n = 0;
      for (; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, ++n) {
        if (n < 3) ms = ms * 10 + (s[at] - '0');
      }
      if (n == 0 || n > 9) return std::nullopt;
      for (; n < 3; ++n) ms *= 10;
    }
  }
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  int offset_minutes = 0;
  if (at < s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    ++at;
  } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    const int sign = s[at] == '-' ? -1 : 1;
    ++at;
    int oh = 0, om = 0;
    if (!digits(s, at, 2, oh)) return std::nullopt;
    if (take(s, at, ':')) {
      if (!digits(s, at, 2, om)) return std::nullopt;
    } else if (at < s.size() && !digits(s, at, 2, om)) {
      return std::nullopt;
    }
    if (oh > 23 || om > 59) return std::nullopt;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (at != s.size()) return std::nullopt;
  const std::int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                               second - static_cast<std::int64_t>(offset_minutes) * 60;
  return seconds * 1000 + ms;
}

}  // namespace clicktrail::base
