#include "format/parquet/rle.h"

#include "format/parquet/varint.h"

namespace clicktrail::format::parquet {
namespace {

// A repeat shorter than this is cheaper bit-packed than as a run of its own.
constexpr std::size_t min_run = 8;

template <class T>
void append_run(std::string& out, T value, std::size_t count, int bit_width) {
  append_varint(out, static_cast<std::uint64_t>(count) << 1);
  const int bytes = (bit_width + 7) / 8;
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((static_cast<std::uint32_t>(value) >> (8 * i)) & 0xff));
}

// Groups of eight values, `bit_width` bits each, least significant bit first; the last group is
// padded with zeros (readers stop at the count they expect).
template <class T>
void append_packed(std::string& out, std::span<const T> values, int bit_width) {
  const std::size_t groups = (values.size() + 7) / 8;
  append_varint(out, (static_cast<std::uint64_t>(groups) << 1) | 1);
  std::uint64_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < groups * 8; ++i) {
    const std::uint64_t v = i < values.size() ? static_cast<std::uint64_t>(values[i]) : 0;
    acc |= v << bits;
    bits += bit_width;
    while (bits >= 8) {
      out.push_back(static_cast<char>(acc & 0xff));
      acc >>= 8;
      bits -= 8;
    }
  }
}

template <class T>
void encode(std::string& out, std::span<const T> values, int bit_width) {
  if (bit_width == 0) {
    if (!values.empty()) append_run(out, T{0}, values.size(), 0);
    return;
  }
  std::size_t literal_start = 0;  // values from here to `i` wait to be bit-packed
  std::size_t i = 0;
  while (i < values.size()) {
    std::size_t run_end = i + 1;
    while (run_end < values.size() && values[run_end] == values[i]) ++run_end;
    std::size_t run = run_end - i;
    // A bit-packed stretch must hold a multiple of eight values unless it ends the data: lend it
    // values from the run until it does.
    const std::size_t literals = i - literal_start;
    if (run >= min_run && literals % 8 != 0) {
      const std::size_t lend = std::min(run, 8 - literals % 8);
      i += lend;
      run -= lend;
    }
    if (run >= min_run) {
      if (i > literal_start) append_packed(out, values.subspan(literal_start, i - literal_start), bit_width);
      append_run(out, values[i], run, bit_width);
      literal_start = run_end;
    }
    i = run_end;
  }
  if (values.size() > literal_start) append_packed(out, values.subspan(literal_start), bit_width);
}

}  // namespace

void append_rle_hybrid(std::string& out, std::span<const std::uint32_t> values, int bit_width) {
  encode(out, values, bit_width);
}

void append_rle_hybrid(std::string& out, std::span<const std::uint8_t> values, int bit_width) {
  encode(out, values, bit_width);
}

int bit_width_for(std::size_t count) {
  int width = 0;
  while (count > 1 && (std::size_t{1} << width) < count) ++width;
  return width;
}

}  // namespace clicktrail::format::parquet
