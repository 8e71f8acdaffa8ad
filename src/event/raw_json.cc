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
  bool respelled = false;   // write_compact would spell it otherwise: whitespace between tokens,
                            // or a number that is not a plain integer it prints the same
  bool closed = false;      // it ends before the text does
};

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// p is at the first byte of a number ('-' or a digit); returns the position after its last,
// noting whether write_compact, which prints the int64 or double simdjson read, could spell it
// otherwise: a fraction, an exponent, -0, or more digits than an int64 surely holds.
const char* skip_number(const char* p, const char* end, container_shape& shape) noexcept {
  const char* sign = p;
  if (*p == '-') ++p;
  const char* digits = p;
  while (p < end && is_digit(*p)) ++p;
  const char* integer_end = p;
  while (p < end && (is_digit(*p) || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' || *p == '-')) ++p;
  constexpr std::ptrdiff_t surely_int64 = 18;
  const std::ptrdiff_t length = integer_end - digits;
  const bool minus_zero = sign != digits && length == 1 && *digits == '0';
  if (p != integer_end || length > surely_int64 || minus_zero) shape.respelled = true;
  return p;
}

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
        if (*p == '-' || is_digit(*p)) {
          p = skip_number(p, end, shape);
          continue;
        }
        shape.respelled = shape.respelled || is_space(*p);
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

bool is_lower_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f');
}

// Whether every escape in the JSON text [p, end) is spelled as write_string spells it: \" and \\,
// and \u00xx (lower-case hex) for a control character. Any other (\n, \/, \u00E9, \u20ac)
// write_string would spell otherwise. Backslashes occur only inside strings.
bool escapes_as_written(const char* p, const char* end) noexcept {
  while ((p = static_cast<const char*>(std::memchr(p, '\\', static_cast<std::size_t>(end - p))))) {
    if (end - p >= 2 && (p[1] == '"' || p[1] == '\\')) {
      p += 2;
    } else if (end - p >= 6 && p[1] == 'u' && p[2] == '0' && p[3] == '0' && (p[4] == '0' || p[4] == '1') &&
               is_lower_hex(p[5])) {
      p += 6;
    } else {
      return false;
    }
  }
  return true;
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
  if (!shape.closed || shape.respelled || shape.deepest > max_depth || !escapes_as_written(begin, after))
    return {};
  return {begin, static_cast<std::size_t>(after - begin)};
}

}  // namespace clicktrail::event::raw
