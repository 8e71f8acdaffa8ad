#include "base/base64.h"

#include <array>
#include <cstdint>

namespace clicktrail::base {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t not_base64 = 0xff;

// Each character's 6 bits, or not_base64 for a character outside the alphabet.
constexpr std::array<std::uint8_t, 256> sextets = [] {
  std::array<std::uint8_t, 256> t{};
  t.fill(not_base64);
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
  return t;
}();

// The same, with the URL-safe '-' and '_' for 62 and 63 as well.
constexpr std::array<std::uint8_t, 256> sextets_any = [] {
  std::array<std::uint8_t, 256> t = sextets;
  t['-'] = 62;
  t['_'] = 63;
  return t;
}();

std::optional<std::string> decode_with(std::string_view text, const std::array<std::uint8_t, 256>& table) {
  for (int pad = 0; pad < 2 && text.ends_with('='); ++pad) text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;  // no group of 1 character encodes a byte
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t bits = 0;
  int held = 0;  // bits in `bits` not yet written
  for (const char c : text) {
    const std::uint8_t v = table[static_cast<unsigned char>(c)];
    if (v == not_base64) return std::nullopt;
    bits = bits << 6 | v;
    held += 6;
    if (held >= 8) {
      held -= 8;
      out.push_back(static_cast<char>((bits >> held) & 0xff));
    }
  }
  return out;
}

}  // namespace

void append_base64(std::string& out, std::string_view in) {
  auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])); };
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(alphabet[(n >> shift) & 0x3f]);
  }
  if (const std::size_t rest = in.size() - i; rest > 0) {
    const std::uint32_t n = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out.push_back(alphabet[(n >> 18) & 0x3f]);
    out.push_back(alphabet[(n >> 12) & 0x3f]);
    out.push_back(rest == 2 ? alphabet[(n >> 6) & 0x3f] : '=');
    out.push_back('=');
  }
}

std::optional<std::string> decode_base64(std::string_view text) {
  return decode_with(text, sextets);
}

std::optional<std::string> decode_base64_any(std::string_view text) {
  return decode_with(text, sextets_any);
}

}  // namespace clicktrail::base
