#include "wal/segment_scan.h"

#include <algorithm>
#include <optional>

#include "wal/record_format.h"

namespace clicktrail::wal {
namespace {

constexpr std::size_t read_chunk = 4u << 20;
// Timestamps a frame can carry (ms since the epoch): 2000-01-01 to 2100-01-01.
constexpr std::int64_t earliest_timestamp = 946'684'800'000;
constexpr std::int64_t latest_timestamp = 4'102'444'800'000;

// The file seen through one buffer that moves forward.
class window {
 public:
  window(file& in, std::int64_t size) : in_(in), size_(size) {}

  // The bytes from `at`: at least `n` of them, fewer only where the file ends. Valid until the
  // next call.
  base::result<std::string_view> bytes(std::int64_t at, std::size_t n) {
    const std::int64_t want = std::min<std::int64_t>(static_cast<std::int64_t>(n), size_ - at);
    if (at < at_ || at + want > at_ + static_cast<std::int64_t>(buffer_.size())) {
      auto chunk = in_.read_at(at, static_cast<std::size_t>(std::min<std::int64_t>(
                                       std::max<std::int64_t>(want, read_chunk), size_ - at)));
      if (!chunk) return std::move(chunk).err();
      buffer_ = std::move(chunk).value();
      at_ = at;
    }
    return std::string_view(buffer_).substr(static_cast<std::size_t>(at - at_));
  }

  // The whole frame at `at`, or nullopt.
  base::result<std::optional<frame>> frame_at(std::int64_t at) {
    auto header = bytes(at, frame_header_bytes);
    if (!header) return std::move(header).err();
    if (header->size() < frame_header_bytes) return std::optional<frame>();
    const auto size = announced_size(*header);
    if (!size || at + static_cast<std::int64_t>(*size) > size_) return std::optional<frame>();
    auto whole = bytes(at, *size);
    if (!whole) return std::move(whole).err();
    return read_frame(*whole);
  }

  // Whether a frame may start at `at`: a cheap test before the CRC.
  base::result<bool> plausible_at(std::int64_t at) {
    auto header = bytes(at, frame_header_bytes);
    if (!header) return std::move(header).err();
    if (header->size() < frame_header_bytes) return false;
    const auto size = announced_size(*header);
    const std::int64_t ts = header_timestamp(*header);
    return size && at + static_cast<std::int64_t>(*size) <= size_ && ts >= earliest_timestamp &&
           ts < latest_timestamp;
  }

 private:
  file& in_;
  const std::int64_t size_;
  std::string buffer_;
  std::int64_t at_ = 0;
};

struct resync_point {
  std::int64_t at = 0;         // where the next whole frame starts
  std::int64_t most_lost = 0;  // the most offsets the bytes before it can have held
};

// The next whole frame after a bad one at `bad` (see segment_scan.h), or nullopt.
base::result<std::optional<resync_point>> resync(window& w, std::int64_t bad, std::int64_t size) {
  auto header = w.bytes(bad, frame_header_bytes);
  if (!header) return std::move(header).err();
  if (header->size() >= frame_header_bytes) {
    if (const auto announced = announced_size(*header)) {
      const std::int64_t next = bad + static_cast<std::int64_t>(*announced);
      if (next < size) {
        auto f = w.frame_at(next);
        if (!f) return std::move(f).err();
        if (*f) return std::optional<resync_point>(resync_point{next, 1});
      }
    }
  }
  for (std::int64_t at = bad + 1; at + static_cast<std::int64_t>(frame_header_bytes) <= size; ++at) {
    auto plausible = w.plausible_at(at);
    if (!plausible) return std::move(plausible).err();
    if (!*plausible) continue;
    auto f = w.frame_at(at);
    if (!f) return std::move(f).err();
    if (*f) {
      const std::int64_t most =
          std::max<std::int64_t>(1, (at - bad) / static_cast<std::int64_t>(frame_header_bytes));
      return std::optional<resync_point>(resync_point{at, most});
    }
  }
  return std::optional<resync_point>();
}

}  // namespace

bool segment_scan::damaged() const {
  return std::any_of(pieces.begin(), pieces.end(), [](const scanned_piece& p) { return p.damaged; });
}

std::int64_t segment_scan::offsets() const {
  std::int64_t n = 0;
  for (const auto& p : pieces) n += p.damaged ? 0 : p.offsets;
  return n;
}

std::int64_t segment_scan::records() const {
  std::int64_t n = 0;
  for (const auto& p : pieces) n += p.records;
  return n;
}

base::result<segment_scan> scan_segment(file& in) {
  auto size = in.size();
  if (!size) return std::move(size).err();
  segment_scan scan;
  scan.size = scan.tail = *size;
  window w(in, scan.size);
  scanned_piece run;
  std::int64_t at = 0;
  while (at < scan.size) {
    auto f = w.frame_at(at);
    if (!f) return std::move(f).err();
    if (*f) {
      at += static_cast<std::int64_t>((*f)->size);
      run.end = at;
      run.offsets += (*f)->offsets();
      run.records += (*f)->gap > 0 ? 0 : 1;
      continue;
    }
    if (run.end > run.begin) scan.pieces.push_back(run);
    auto next = resync(w, at, scan.size);
    if (!next) return std::move(next).err();
    if (!*next) {
      scan.tail = at;
      return scan;
    }
    scan.pieces.push_back(scanned_piece{at, (*next)->at, true, (*next)->most_lost, 0});
    at = (*next)->at;
    run = scanned_piece{at, at, false, 0, 0};
  }
  if (run.end > run.begin) scan.pieces.push_back(run);
  return scan;
}

}  // namespace clicktrail::wal
