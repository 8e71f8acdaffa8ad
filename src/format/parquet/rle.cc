#include "format/parquet/rle.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

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

// Where the repeat of values[at] that starts at `at` ends. Bytes (definition levels, whose runs
// are often a whole page long) are compared eight at a time.
template <class T>
std::size_t repeat_end(std::span<const T> values, std::size_t at) {
  const T v = values[at];
  std::size_t end = at + 1;
  if constexpr (sizeof(T) == 1) {
    const std::uint64_t eight = 0x0101010101010101ULL * v;
    for (std::uint64_t word = 0; end + 8 <= values.size(); end += 8) {
      std::memcpy(&word, values.data() + end, 8);
      if (word != eight) break;
    }
  }
  while (end < values.size() && values[end] == v) ++end;
  return end;
}

// The first repeat of at least min_run values that starts at or after `from`, as [begin, end);
// {size, size} when there is none. A repeat that long holds two values four apart, and one of
// them is at from + 4k, so only those places are looked at until two match.
template <class T>
std::pair<std::size_t, std::size_t> next_repeat(std::span<const T> values, std::size_t from) {
  const std::size_t n = values.size();
  std::size_t at = from;
  while (at + 4 < n) {
    if (values[at] != values[at + 4]) {
      at += 4;
      continue;
    }
    std::size_t begin = at;
    while (begin > from && values[begin - 1] == values[at]) --begin;
    const std::size_t end = repeat_end(values, begin);
    if (end - begin >= min_run) return {begin, end};
    at = std::max(at + 4, end);  // a longer repeat starts past this short one
  }
  return {n, n};
}

// Eight values of `width` bits at p, least significant bit first: `width` bytes. Up to eight
// bytes past them may be overwritten (the caller's buffer has that room).
template <class T>
[[gnu::always_inline]] inline char* pack_group(const T* v, unsigned width, char* p) {
  if (width <= 8) {  // the whole group in one word
    std::uint64_t word = 0;
    for (unsigned k = 0; k < 8; ++k) word |= static_cast<std::uint64_t>(v[k]) << (k * width);
    std::memcpy(p, &word, 8);  // the next group overwrites the bytes past this one's
    return p + width;
  }
  std::uint64_t acc = 0;
  unsigned bits = 0;
  for (unsigned k = 0; k < 8; ++k) {
    acc |= static_cast<std::uint64_t>(v[k]) << bits;
    bits += width;
    if (bits >= 32) {
      const auto low = static_cast<std::uint32_t>(acc);
      std::memcpy(p, &low, 4);
      p += 4;
      acc >>= 32;
      bits -= 32;
    }
  }
  for (; bits > 0; bits -= 8, acc >>= 8) *p++ = static_cast<char>(acc & 0xff);  // 8 × width is whole bytes
  return p;
}

// Groups of eight values, `bit_width` bits each; the last group is padded with zeros (readers
// stop at the count they expect). A group is `bit_width` bytes.
template <class T>
void append_packed(std::string& out, std::span<const T> values, int bit_width) {
  const std::size_t groups = (values.size() + 7) / 8;
  append_varint(out, (static_cast<std::uint64_t>(groups) << 1) | 1);
  const std::size_t start = out.size();
  const std::size_t packed = groups * static_cast<std::size_t>(bit_width);
  out.resize(start + packed + 8);  // room to store a whole word for a group narrower than one
  char* p = out.data() + start;
  const auto width = static_cast<unsigned>(bit_width);
  const std::size_t whole = values.size() / 8;
  for (std::size_t g = 0; g < whole; ++g) p = pack_group(values.data() + g * 8, width, p);
  if (const std::size_t rest = values.size() % 8; rest != 0) {
    T last[8] = {};
    std::copy_n(values.data() + whole * 8, rest, last);
    pack_group(last, width, p);
  }
  out.resize(start + packed);
}

template <class T>
void encode(std::string& out, std::span<const T> values, int bit_width) {
  if (bit_width == 0) {
    if (!values.empty()) append_run(out, T{0}, values.size(), 0);
    return;
  }
  std::size_t literal_start = 0;  // values from here on wait to be bit-packed
  for (std::size_t from = 0; from < values.size();) {
    auto [begin, end] = next_repeat(values, from);
    if (begin == values.size()) break;
    // A bit-packed stretch must hold a multiple of eight values unless it ends the data: lend it
    // values from the repeat until it does.
    const std::size_t literals = begin - literal_start;
    if (literals % 8 != 0) begin += std::min(end - begin, 8 - literals % 8);
    if (end - begin >= min_run) {
      if (begin > literal_start)
        append_packed(out, values.subspan(literal_start, begin - literal_start), bit_width);
      append_run(out, values[begin], end - begin, bit_width);
      literal_start = end;
    }
    from = end;
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

base::status read_rle_hybrid(std::string_view in, int bit_width, std::size_t count,
                             std::vector<std::uint32_t>& out) {
  if (bit_width < 0 || bit_width > 32)
    return base::error::reject(fmt::format("a bit width of {}", bit_width));
  out.clear();
  out.reserve(count);
  std::size_t at = 0;
  const auto width = static_cast<unsigned>(bit_width);
  while (out.size() < count) {
    std::uint64_t header = 0;
    if (!read_varint(in, at, header)) return base::error::reject("RLE data ends early");
    if ((header & 1) == 0) {
      const std::uint64_t run = header >> 1;
      const std::size_t bytes = (width + 7) / 8;
      if (bytes > in.size() - at) return base::error::reject("an RLE run ends early");
      std::uint32_t value = 0;
      for (std::size_t i = 0; i < bytes; ++i)
        value |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[at + i])) << (8 * i);
      at += bytes;
      if (run == 0 || run > count - out.size())
        return base::error::reject("an RLE run longer than the values");
      out.insert(out.end(), static_cast<std::size_t>(run), value);
      continue;
    }
    const std::uint64_t groups = header >> 1;
    if (groups == 0 || groups > in.size() - at || groups * width > in.size() - at) {
      return base::error::reject("a bit-packed run past the data");
    }
    const std::string_view packed = in.substr(at, static_cast<std::size_t>(groups * width));
    at += packed.size();
    std::uint64_t acc = 0;
    unsigned bits = 0;
    std::size_t byte = 0;
    for (std::uint64_t i = 0; i < groups * 8 && out.size() < count; ++i) {
      while (bits < width) {
        acc |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(packed[byte++])) << bits;
        bits += 8;
      }
      out.push_back(static_cast<std::uint32_t>(acc & ((std::uint64_t{1} << width) - 1)));
      acc >>= width;
      bits -= width;
    }
  }
  return {};
}

int bit_width_for(std::size_t count) {
  int width = 0;
  while (count > 1 && (std::size_t{1} << width) < count) ++width;
  return width;
}

}  // namespace clicktrail::format::parquet
