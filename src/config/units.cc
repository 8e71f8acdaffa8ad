#include "config/units.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <utility>

namespace clicktrail::config {
namespace {

// Reads leading digits; advances `text` past them.
std::optional<std::int64_t> take_number(std::string_view& text) noexcept {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end == text.data() || v < 0) return std::nullopt;
  text.remove_prefix(static_cast<size_t>(end - text.data()));
  return v;
}

std::optional<std::int64_t> checked_mul(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}

constexpr std::array<std::pair<std::string_view, std::int64_t>, 9> size_units{{
    {"", 1},
    {"B", 1},
    {"KiB", 1LL << 10},
    {"MiB", 1LL << 20},
    {"GiB", 1LL << 30},
    {"kB", 1000},
    {"KB", 1000},
    {"MB", 1000'000},
    {"GB", 1000'000'000},
}};

constexpr std::array<std::pair<std::string_view, std::int64_t>, 5> duration_units{{
    {"ms", 1},
    {"s", 1000},
    {"m", 60'000},
    {"h", 3'600'000},
    {"d", 86'400'000},
}};

}  // namespace

std::optional<std::int64_t> parse_size(std::string_view text) noexcept {
  const auto n = take_number(text);
  if (!n) return std::nullopt;
  for (const auto& [suffix, factor] : size_units) {
    if (text == suffix) return checked_mul(*n, factor);
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_duration_ms(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  while (!text.empty()) {
    const auto n = take_number(text);
    if (!n) return std::nullopt;
    // "ms" must be tried before "m".
    const std::pair<std::string_view, std::int64_t>* unit = nullptr;
    for (const auto& u : duration_units) {
      if (text.starts_with(u.first) && (!unit || u.first.size() > unit->first.size())) unit = &u;
    }
    if (!unit) return std::nullopt;
    text.remove_prefix(unit->first.size());
    const auto part = checked_mul(*n, unit->second);
    if (!part || __builtin_add_overflow(total, *part, &total)) return std::nullopt;
  }
  return total;
}

std::string format_size(std::int64_t bytes) {
  for (auto [suffix, factor] : {std::pair{"GiB", 1LL << 30}, {"MiB", 1LL << 20}, {"KiB", 1LL << 10}}) {
    if (bytes != 0 && bytes % factor == 0) return fmt::format("{}{}", bytes / factor, suffix);
  }
  return fmt::format("{}", bytes);
}

std::string format_duration_ms(std::int64_t ms) {
  for (auto [suffix, factor] :
       {std::pair{"d", 86'400'000LL}, {"h", 3'600'000LL}, {"m", 60'000LL}, {"s", 1000LL}}) {
    if (ms != 0 && ms % factor == 0) return fmt::format("{}{}", ms / factor, suffix);
  }
  return fmt::format("{}ms", ms);
}

}  // namespace clicktrail::config
