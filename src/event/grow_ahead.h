#pragma once
// For the encoders that write at a pointer into output grown ahead (encode, encode_binary): a
// compare per member rather than a checked append per piece.

#include <cstddef>
#include <string>

namespace clicktrail::event {

// Makes room for `n` bytes at `p`, a position in `out`, moving `p` with `out` when it grows. It
// grows by what is asked and a little more, since growing zero-fills: room for a record's worst
// case, filled every time, cost more than the encoding itself.
[[gnu::always_inline]] inline void grow_ahead(std::string& out, char*& p, std::size_t n) {
  const auto at = static_cast<std::size_t>(p - out.data());
  if (out.size() - at >= n) return;
  out.resize(at + n + 256);
  p = out.data() + at;
}

}  // namespace clicktrail::event
