#include "event/raw_json.h"

#include <algorithm>
#include <cstring>

namespace clicktrail::event::raw {
namespace {

bool is_space(char c) noexcept {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

const char* skip_space(const char* p, const char* end) noexcept {
  while (p < end && is_space(*p)) ++p;
  return p;
}

// p is at the opening quote; returns the position after the closing one.
const char* skip_string(const char* p, const char* end) noexcept {
  const char* from = p + 1;
  while (from < end) {
    const auto* quote =
        static_cast<const char*>(std::memchr(from, '"', static_cast<std::size_t>(end - from)));
    if (!quote) return end;
    // The quote ends the string unless an odd run of backslashes escapes it. The run cannot
    // reach back past `from`: the byte before `from` is a quote.
    const char* run = quote;
    while (run > from && run[-1] == '\\') --run;
    if ((quote - run) % 2 == 0) return quote + 1;
    from = quote + 1;
  }
  return end;
}

// What skip_container saw outside the strings of an array or object.
struct container_shape {
  std::size_t deepest = 0;  // the most arrays and objects open at once
  bool spaced = false;      // whitespace between tokens
  bool closed = false;      // it ends before the text does
};

// p is at '{' or '['; returns the position after its matching close (or end), noting its shape.
const char* skip_container(const char* p, const char* end, container_shape& shape) noexcept {
  std::size_t depth = 0;
  while (p < end) {
    switch (*p) {
      case '"':
        p = skip_string(p, end);
        continue;
      case '{':
      case '[':
        shape.deepest = std::max(shape.deepest, ++depth);
        break;
      case '}':
      case ']':
        if (--depth == 0) {
          shape.closed = true;
          return p + 1;
        }
        break;
      default:
        shape.spaced = shape.spaced || is_space(*p);
        break;
    }
    ++p;
  }
  return end;
}

// p is at the first byte of a value; returns the position after its last.
const char* skip_value(const char* p, const char* end) noexcept {
  if (p >= end) return end;
  if (*p == '"') return skip_string(p, end);
  if (*p == '{' || *p == '[') {
    container_shape ignored;
    return skip_container(p, end, ignored);
  }
  // A number, true, false or null.
  while (p < end && *p != ',' && *p != '}' && *p != ']' && !is_space(*p)) ++p;
  return p;
}

// Skips whitespace and one separator (',' or ':'), and the whitespace after it.
const char* skip_separator(const char* p, const char* end) noexcept {
  p = skip_space(p, end);
  if (p < end && (*p == ',' || *p == ':')) p = skip_space(p + 1, end);
  return p;
}

}  // namespace

std::string_view trim(std::string_view text) noexcept {
  const char* begin = skip_space(text.data(), text.data() + text.size());
  const char* end = text.data() + text.size();
  while (end > begin && is_space(end[-1])) --end;
  return {begin, static_cast<std::size_t>(end - begin)};
}

array_cursor::array_cursor(std::string_view array_text) noexcept
    : at_(array_text.data() + (array_text.empty() ? 0 : 1)), end_(array_text.data() + array_text.size()) {}

std::string_view array_cursor::element(std::size_t index) noexcept {
  while (next_ <= index) {
    const char* begin = skip_separator(at_, end_);
    at_ = skip_value(begin, end_);
    last_ = {begin, static_cast<std::size_t>(at_ - begin)};
    ++next_;
  }
  return last_;
}

std::string_view value_onward(std::string_view object_text, std::size_t index) noexcept {
  const char* end = object_text.data() + object_text.size();
  const char* p = object_text.data() + (object_text.empty() ? 0 : 1);
  for (std::size_t i = 0;; ++i) {
    p = skip_value(skip_separator(p, end), end);  // the key
    const char* begin = skip_separator(p, end);
    if (i == index || begin >= end) return {begin, static_cast<std::size_t>(end - begin)};
    p = skip_value(begin, end);
  }
}

std::string_view compact_value(std::string_view text, std::size_t max_depth) noexcept {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (text.empty() || (*begin != '{' && *begin != '[')) return {};
  container_shape shape;
  const char* after = skip_container(begin, end, shape);
  if (!shape.closed || shape.spaced || shape.deepest > max_depth) return {};
  return {begin, static_cast<std::size_t>(after - begin)};
}

}  // namespace clicktrail::event::raw
