#pragma once
// Records for the bad topic: rejected input kept with its reason, never silently dropped.
//
//   {"reason":"invalid_type","detail":"…","site":"demo","collector_ts":1764000000000,
//    "index":3,"raw_base64":"eyJ0eXBlIjo…"}
//
// `index` is the event's position in its request (absent when the whole body was refused);
// `raw_base64` is the input as sent, cut to `max_raw_bytes`, in base64 because it may not be
// valid UTF-8.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clicktrail::ingest {

inline constexpr std::size_t max_raw_bytes = 64 * 1024;

struct bad_input {
  std::string_view reason;
  std::string_view detail;
  std::string_view site;  // as claimed by the request, may be empty or unknown
  std::int64_t collector_ts = 0;
  std::optional<std::size_t> index;
  std::string_view raw;
};

std::string encode_bad_record(const bad_input& in);

}  // namespace clicktrail::ingest
