#include "sink/intent.h"

#include <charconv>

#include <fmt/format.h>

namespace clicktrail::sink {

std::string intent_key(std::string_view source_name, std::int32_t partition) {
  return fmt::format("_clicktrail/intents/{}+{}", source_name, partition);
}

std::string encode_intent(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) {
    out += k;
    out.push_back('\n');
  }
  return out;
}

std::vector<std::string> decode_intent(std::string_view text) {
  std::vector<std::string> keys;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    if (const auto line = text.substr(0, nl); !line.empty()) keys.emplace_back(line);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  return keys;
}

std::string file_key(std::string_view table, std::string_view time_partition, std::string_view source_name,
                     std::int32_t partition, std::int64_t start_offset, std::string_view extension) {
  return fmt::format("{}/{}/{}+{}+{:020}.{}", table, time_partition, source_name, partition, start_offset, extension);
}

std::optional<std::int64_t> start_offset_of(std::string_view key) {
  // Topic names may hold '.' and '+' is not allowed in them, so the last '+' starts the offset.
  const std::string_view name = key.substr(key.rfind('/') == std::string_view::npos ? 0 : key.rfind('/') + 1);
  const auto plus = name.rfind('+');
  if (plus == std::string_view::npos || name.size() < plus + 22 || name[plus + 21] != '.') return std::nullopt;
  const auto digits = name.substr(plus + 1, 20);
  std::int64_t offset = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), offset);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return offset;
}

}  // namespace clicktrail::sink
