#include "wal/record_format.h"

#include <boost/crc.hpp>

#include <cstring>

namespace clicktrail::wal {
namespace {

template <class T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // little-endian hosts only, as everywhere in clicktrail
  out.append(b, sizeof(T));
}

template <class T>
T get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

void append_raw(std::string& out, std::uint32_t length_field, std::int64_t timestamp_ms,
                std::string_view payload) {
  std::string ts;
  put(ts, timestamp_ms);
  put(out, length_field);
  put(out, crc32c(ts, payload));
  out.append(ts);
  out.append(payload);
}

}  // namespace

std::uint32_t crc32c(std::string_view a, std::string_view b) {
  // CRC-32C (Castagnoli), as iSCSI, ext4 and Kafka's record batches use it.
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(a.data(), a.size());
  crc.process_bytes(b.data(), b.size());
  return crc.checksum();
}

void append_frame(std::string& out, std::int64_t timestamp_ms, std::string_view payload) {
  append_raw(out, static_cast<std::uint32_t>(payload.size()), timestamp_ms, payload);
}

void append_gap_frame(std::string& out, std::int64_t timestamp_ms, std::int64_t offsets) {
  std::string count;
  put(count, offsets);
  append_raw(out, gap_flag | static_cast<std::uint32_t>(count.size()), timestamp_ms, count);
}

std::optional<std::size_t> announced_size(std::string_view header) {
  const auto length = get<std::uint32_t>(header.data());
  if (length == (gap_flag | 8u)) return gap_frame_bytes;
  if (length > max_record_bytes) return std::nullopt;
  return frame_header_bytes + length;
}

std::int64_t header_timestamp(std::string_view header) {
  return get<std::int64_t>(header.data() + 8);
}

std::optional<frame> read_frame(std::string_view bytes) {
  if (bytes.size() < frame_header_bytes) return std::nullopt;
  const auto size = announced_size(bytes);
  if (!size || bytes.size() < *size) return std::nullopt;
  const std::string_view ts = bytes.substr(8, 8);
  const std::string_view payload = bytes.substr(frame_header_bytes, *size - frame_header_bytes);
  if (crc32c(ts, payload) != get<std::uint32_t>(bytes.data() + 4)) return std::nullopt;
  if ((get<std::uint32_t>(bytes.data()) & gap_flag) == 0)
    return frame{get<std::int64_t>(ts.data()), payload, *size, 0};
  const auto gap = get<std::int64_t>(payload.data());
  if (gap <= 0) return std::nullopt;
  return frame{get<std::int64_t>(ts.data()), {}, *size, gap};
}

}  // namespace clicktrail::wal
