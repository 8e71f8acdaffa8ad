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

}  // namespace

std::uint32_t crc32c(std::string_view a, std::string_view b) {
  // CRC-32C (Castagnoli), as iSCSI, ext4 and Kafka's record batches use it.
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(a.data(), a.size());
  crc.process_bytes(b.data(), b.size());
  return crc.checksum();
}

void append_frame(std::string& out, std::int64_t timestamp_ms, std::string_view payload) {
  std::string ts;
  put(ts, timestamp_ms);
  put(out, static_cast<std::uint32_t>(payload.size()));
  put(out, crc32c(ts, payload));
  out.append(ts);
  out.append(payload);
}

std::optional<frame> read_frame(std::string_view bytes) {
  if (bytes.size() < frame_header_bytes) return std::nullopt;
  const auto length = get<std::uint32_t>(bytes.data());
  if (length > max_record_bytes || bytes.size() - frame_header_bytes < length) return std::nullopt;
  const std::string_view ts = bytes.substr(8, 8);
  const std::string_view payload = bytes.substr(frame_header_bytes, length);
  if (crc32c(ts, payload) != get<std::uint32_t>(bytes.data() + 4)) return std::nullopt;
  return frame{get<std::int64_t>(ts.data()), payload, frame_header_bytes + length};
}

}  // namespace clicktrail::wal
