#include "sink/intent.h"

#include <fmt/format.h>

#include <charconv>

namespace clicktrail::sink {
namespace {

constexpr std::string_view header = "clicktrail-intent 2";

std::optional<std::int64_t> parse_number(std::string_view digits) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || n < 0)
    return std::nullopt;
  return n;
}

std::string_view name_of(std::string_view key) {
  const auto slash = key.rfind('/');
  return slash == std::string_view::npos ? key : key.substr(slash + 1);
}

// The parts of a file name after its last '+': offset, generation (nullopt before generations)
// and extension.
struct name_parts {
  std::int64_t offset = 0;
  std::optional<std::int64_t> generation;
  std::string_view extension;
};

std::optional<name_parts> parse_name(std::string_view key) {
  // Topic names may hold '.' and '-' but not '+', so the last '+' starts the offset.
  const std::string_view name = name_of(key);
  const auto plus = name.rfind('+');
  if (plus == std::string_view::npos || name.size() < plus + 22) return std::nullopt;
  name_parts parts;
  const auto offset = parse_number(name.substr(plus + 1, 20));
  if (!offset) return std::nullopt;
  parts.offset = *offset;
  std::string_view rest = name.substr(plus + 21);
  if (rest.starts_with("-g")) {
    const auto dot = rest.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    parts.generation = parse_number(rest.substr(2, dot - 2));
    if (!parts.generation) return std::nullopt;
    rest = rest.substr(dot);
  }
  if (!rest.starts_with('.') || rest.size() < 2) return std::nullopt;
  parts.extension = rest.substr(1);
  return parts;
}

}  // namespace

std::string intent_key(std::string_view source_name, std::int32_t partition) {
  return fmt::format("_clicktrail/intents/{}+{}", source_name, partition);
}

std::string encode_intent(const intent& i) {
  std::string out = fmt::format("{}\ngeneration {}\ncommitted {}\nwriter {}\nsequence {}\n", header,
                                i.generation, i.committed, i.writer, i.sequence);
  for (const auto& f : i.files) out += fmt::format("file {}\n", f);
  return out;
}

base::result<intent> decode_intent(std::string_view text) {
  intent out;
  const bool versioned =
      text.starts_with(header) && (text.size() == header.size() || text[header.size()] == '\n');
  int line_number = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_number;
    if (line.empty() || (versioned && line_number == 1)) continue;
    if (!versioned) {  // version 1: one file key a line
      out.files.emplace_back(line);
      continue;
    }
    const auto space = line.find(' ');
    const std::string_view field = line.substr(0, space);
    const std::string_view value =
        space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
    auto number = [&](std::int64_t& into) {
      const auto n = parse_number(value);
      if (n) into = *n;
      return n.has_value();
    };
    bool ok = true;
    if (field == "generation") {
      ok = number(out.generation);
    } else if (field == "committed") {
      ok = number(out.committed);
    } else if (field == "sequence") {
      ok = number(out.sequence);
    } else if (field == "writer") {
      out.writer = std::string(value);
    } else if (field == "file" && !value.empty()) {
      out.files.emplace_back(value);
    } else {
      ok = false;
    }
    if (!ok) {
      return base::error::fail(fmt::format("line {} (\"{}\") is not a field of an intent object", line_number,
                                           line.substr(0, 200)));
    }
  }
  return out;
}

std::string file_key(std::string_view table, std::string_view time_partition, std::string_view source_name,
                     std::int32_t partition, std::int64_t start_offset, std::int64_t generation,
                     std::string_view extension) {
  return fmt::format("{}/{}/{}+{}+{:020}-g{}.{}", table, time_partition, source_name, partition, start_offset,
                     generation, extension);
}

std::optional<std::int64_t> start_offset_of(std::string_view key) {
  const auto parts = parse_name(key);
  if (!parts) return std::nullopt;
  return parts->offset;
}

std::string_view extension_of(std::string_view key) {
  const auto parts = parse_name(key);
  return parts ? parts->extension : std::string_view{};
}

}  // namespace clicktrail::sink
