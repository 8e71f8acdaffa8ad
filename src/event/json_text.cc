#include "event/json_text.h"

#include <charconv>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/utf8.h"
#include "event/valid_utf8.h"

namespace clicktrail::event {
namespace {

namespace dom = simdjson::dom;

#ifndef __SSE2__
constexpr std::uint64_t every_byte(std::uint8_t b) {
  return 0x0101010101010101ULL * b;
}

// Non-zero when one of the eight bytes in `w` may need more than a copy: a control character,
// '"', '\\' or a byte of a multi-byte UTF-8 character (>= 0x80). It can flag a byte that needs
// nothing (a borrow passing into the next byte), never miss one; the caller then looks closer.
std::uint64_t needs_a_look(std::uint64_t w) noexcept {
  constexpr std::uint64_t ones = every_byte(1), high = every_byte(0x80);
  const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & high; };
  return ((w - every_byte(0x20)) & ~w & high) | has_zero(w ^ every_byte('"')) |
         has_zero(w ^ every_byte('\\')) | (w & high);
}
#endif

#ifdef __SSE2__
// A 16-byte block's bytes that must be escaped (control characters, '"', '\\') and, apart, its
// bytes of multi-byte characters (>= 0x80), as bit masks.
struct block_bytes {
  unsigned escaped, high;
};
block_bytes look_at(const unsigned char* block) noexcept {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block));  // NOLINT: unaligned load
  const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));
  const __m128i escaped = _mm_or_si128(
      control, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
  return {static_cast<unsigned>(_mm_movemask_epi8(escaped)), static_cast<unsigned>(_mm_movemask_epi8(v))};
}

// The bytes of a 16-byte block that may need more than a copy, as a bit mask (bit k: byte k):
// those to escape and those of multi-byte characters.
unsigned looks_needed(const unsigned char* block) noexcept {
  const auto [escaped, high] = look_at(block);
  return escaped | high;
}

// The end of the plain text (bytes that are copied as they are) that starts at s[i], s of size n:
// sixteen bytes at a time, and the last few in one more block (overlapping the one before it, or,
// for a string under 16 bytes, copied into one) rather than byte by byte.
std::size_t plain_run(const unsigned char* s, std::size_t n, std::size_t i) noexcept {
  for (; i + 16 <= n; i += 16) {
    if (const unsigned mask = looks_needed(s + i); mask != 0)
      return i + static_cast<std::size_t>(__builtin_ctz(mask));
  }
  if (i == n) return n;
  unsigned mask = 0;
  if (n >= 16) {
    mask = looks_needed(s + n - 16) >> (i - (n - 16));  // the bytes before i were looked at
  } else {
    unsigned char block[16];
    std::memset(block, 'x', sizeof block);
    std::memcpy(block, s + i, n - i);
    mask = looks_needed(block);
  }
  return mask != 0 ? i + static_cast<std::size_t>(__builtin_ctz(mask)) : n;
}
#else
// The end of the plain text (bytes that are copied as they are) that starts at s[i], s of size n.
std::size_t plain_run(const unsigned char* s, std::size_t n, std::size_t i) noexcept {
  for (std::uint64_t w; i + 8 <= n; i += 8) {
    std::memcpy(&w, s + i, 8);
    if (needs_a_look(w)) break;
  }
  while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\') ++i;
  return i;
}
#endif

void write_escape(std::string& out, unsigned char c) {
  static constexpr char hex[] = "0123456789abcdef";
  if (c == '"' || c == '\\') {
    const char pair[2] = {'\\', static_cast<char>(c)};
    out.append(pair, 2);
    return;
  }
  const char code[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
  out.append(code, 6);
}

}  // namespace

void write_double(std::string& out, double d) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  const std::string_view text(buf, static_cast<std::size_t>(end - buf));
  out.append(text);
  if (text.find_first_of(".e") == std::string_view::npos) out.append(".0");
}

void write_member(std::string& out, std::string_view key, std::string_view value) {
  write_string(out, key);
  out.push_back(':');
  write_string(out, value);
}

void write_string(std::string& out, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = plain_run(p, n, 0);
  if (i == n) {
    // Nothing to escape or replace, as in nearly every string: the quotes and the text in one
    // append when it is short.
    constexpr std::size_t short_text = 126;
    if (n <= short_text) {
      char quoted[short_text + 2];
      quoted[0] = '"';
      std::memcpy(quoted + 1, s.data(), n);
      quoted[n + 1] = '"';
      out.append(quoted, n + 2);
      return;
    }
    out.reserve(out.size() + n + 2);
  }
  out.push_back('"');
  std::size_t copied = 0;  // s[copied, i) is plain text not yet appended
  while (i < n) {
    const unsigned char c = p[i];
    if (c >= 0x80) {
      if (const std::size_t len = base::utf8_length(p + i, n - i)) {
        i += len;
      } else {
        out.append(s.data() + copied, i - copied);
        out.append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
        copied = ++i;
      }
    } else if (c < 0x20 || c == '"' || c == '\\') {
      out.append(s.data() + copied, i - copied);
      write_escape(out, c);
      copied = ++i;
    } else {
      ++i;  // needs_a_look flagged a plain byte
    }
    i = plain_run(p, n, i);
  }
  out.append(s.data() + copied, n - copied);
  out.push_back('"');
}

char* put_plain_string(char* at, std::string_view s) noexcept {
  const std::size_t n = s.size();
  char* const text = at + 1;
  std::memcpy(text, s.data(), n);
#ifdef __SSE2__
  // The copy is looked at rather than `s`, in whole blocks: the room after it may be read, where
  // the bytes after `s` may not be, so a short string or a string's last bytes need no copy of
  // their own (plain_run's) to be looked at as a block.
  // Bytes of multi-byte characters (>= 0x80) are copied as they are when the whole string is
  // well-formed UTF-8 (titles and places in other scripts); only an escape, a control character
  // or ill-formed UTF-8 needs write_string.
  const auto* copy = reinterpret_cast<const unsigned char*>(text);
  unsigned any_high = 0;
  for (std::size_t i = 0; i < n; i += 16) {
    auto [escaped, high] = look_at(copy + i);
    if (n - i < 16) {
      const unsigned inside = (1u << (n - i)) - 1;
      escaped &= inside;
      high &= inside;
    }
    if (escaped != 0) return nullptr;
    any_high |= high;
  }
  if (any_high != 0 && !valid_utf8(s)) return nullptr;
#else
  bool any_high = false;
  for (std::size_t i = plain_run(reinterpret_cast<const unsigned char*>(s.data()), n, 0); i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\') return nullptr;
    any_high = any_high || c >= 0x80;
  }
  if (any_high && !valid_utf8(s)) return nullptr;
#endif
  at[0] = '"';
  text[n] = '"';
  return text + n + 1;
}

char* put_int(char* at, std::int64_t v) noexcept {
  return std::to_chars(at, at + max_int_bytes, v).ptr;
}

void write_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(end - buf));
}

bool write_compact(std::string& out, dom::element value, std::size_t max_depth) {
  switch (value.type()) {
    case dom::element_type::ARRAY: {
      dom::array items;
      if (max_depth == 0 || value.get_array().get(items)) return false;
      out.push_back('[');
      bool first = true;
      for (dom::element item : items) {
        if (!first) out.push_back(',');
        first = false;
        if (!write_compact(out, item, max_depth - 1)) return false;
      }
      out.push_back(']');
      return true;
    }
    case dom::element_type::OBJECT: {
      dom::object members;
      if (max_depth == 0 || value.get_object().get(members)) return false;
      out.push_back('{');
      bool first = true;
      for (dom::key_value_pair member : members) {
        if (!first) out.push_back(',');
        first = false;
        write_string(out, member.key);
        out.push_back(':');
        if (!write_compact(out, member.value, max_depth - 1)) return false;
      }
      out.push_back('}');
      return true;
    }
    case dom::element_type::INT64:
      write_int(out, value.get_int64().value_unsafe());
      return true;
    case dom::element_type::UINT64: {
      char buf[24];
      const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value.get_uint64().value_unsafe());
      out.append(buf, static_cast<std::size_t>(end - buf));
      return true;
    }
    case dom::element_type::DOUBLE:
      write_double(out, value.get_double().value_unsafe());
      return true;
    case dom::element_type::STRING:
      write_string(out, value.get_string().value_unsafe());
      return true;
    case dom::element_type::BOOL:
      out.append(value.get_bool().value_unsafe() ? "true" : "false");
      return true;
    case dom::element_type::NULL_VALUE:
      out.append("null");
      return true;
  }
  return false;
}

std::string_view cut_utf8(std::string_view s, std::size_t max_bytes) noexcept {
  if (s.size() <= max_bytes) return s;
  std::size_t n = max_bytes;
  // s[n] is the first byte left out; while it continues a character, that character straddles
  // the limit and goes too.
  while (n > 0 && base::utf8_continuation(static_cast<unsigned char>(s[n]))) --n;
  return s.substr(0, n);
}

}  // namespace clicktrail::event
