#include "base/base64.h"

#include <cstdint>

namespace clicktrail::base {

void append_base64(std::string& out, std::string_view in) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
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

}  // namespace clicktrail::base
