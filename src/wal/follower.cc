#include "wal/follower.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <string_view>

#include "base/log.h"
#include "wal/record_format.h"
#include "wal/segment_recovery.h"

namespace clicktrail::wal {
namespace {

// How much of a segment one read takes in. A follower mostly reads the few frames appended since
// its last poll; a larger frame is read whole on its own.
constexpr std::size_t read_chunk = 1u << 20;
// How often open() picks a segment again when retention deleted the one it picked.
constexpr int open_attempts = 8;
constexpr auto no_limit = std::numeric_limits<std::int64_t>::max();

spdlog::logger& wal_log() {
  return base::logger_for("wal");
}

}  // namespace

base::result<std::unique_ptr<follower>> follower::open(std::string dir, start from, file_system& files) {
  std::unique_ptr<follower> f(new follower(std::move(dir), files));
  for (int attempt = 0; attempt < open_attempts; ++attempt) {
    auto bases = f->segments();
    if (!bases) return std::move(bases).err();
    if (bases->empty()) return f;  // poll() takes the first segment once it exists
    auto opened = f->open_segment(from == start::beginning ? bases->front() : bases->back());
    if (!opened) return std::move(opened).err();
    if (!*opened) continue;
    if (from == start::end) {
      if (auto s = f->read_frames(nullptr, 0, no_limit); !s) return std::move(s).err();
    }
    return f;
  }
  return base::error::retry(
      fmt::format("the segments of the embedded log in {} were deleted faster than they could be opened; "
                  "try again",
                  f->dir_));
}

base::result<std::vector<std::int64_t>> follower::segments() {
  auto names = files_.list(dir_);
  if (!names) return std::move(names).err();
  std::vector<std::int64_t> bases;
  for (const auto& name : *names) {
    if (const auto base = segment_base(name)) bases.push_back(*base);
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

base::result<bool> follower::open_segment(std::int64_t base) {
  std::string path = segment_path(dir_, base);
  auto opened = files_.open(path, open_mode::read_if_exists);
  if (!opened) return std::move(opened).err();
  if (!*opened) return false;
  in_ = std::move(opened).value();
  path_ = std::move(path);
  base_ = base;
  byte_ = 0;
  offset_ = base;
  return true;
}

base::result<std::vector<stored_record>> follower::poll(std::size_t max) {
  std::vector<stored_record> out;
  if (!in_) {
    auto bases = segments();
    if (!bases) return std::move(bases).err();
    if (bases->empty()) return out;
    auto opened = open_segment(bases->front());
    if (!opened) return std::move(opened).err();
    if (!*opened) return out;  // deleted meanwhile: the next poll lists again
  }
  while (out.size() < max) {
    const std::size_t before = out.size();
    if (auto s = read_frames(&out, max, no_limit); !s) return std::move(s).err();
    if (out.size() > before) continue;
    // Nothing more at byte_ for now. Listed before the read below: a newer segment seen here
    // means the committer had written this one whole before that read.
    auto bases = segments();
    if (!bases) return std::move(bases).err();
    const std::vector<std::int64_t> newer(std::upper_bound(bases->begin(), bases->end(), base_),
                                          bases->end());
    if (newer.empty()) {
      auto reopened = reopen_if_replaced();
      if (!reopened) return std::move(reopened).err();
      if (!*reopened) break;
      continue;
    }
    if (auto s = read_frames(&out, max, no_limit); !s) return std::move(s).err();
    if (out.size() >= max) break;  // the rest of it at the next poll
    auto moved = go_to_newer(newer);
    if (!moved) return std::move(moved).err();
    if (!*moved) break;
  }
  return out;
}

base::status follower::read_frames(std::vector<stored_record>* out, std::size_t max, std::int64_t until) {
  auto size = in_->size();
  if (!size) return std::move(size).err();
  bool more = true;
  // false: the frame at byte_ is not to be taken (the limits), or not whole (yet).
  auto take = [&](std::string_view bytes) -> std::optional<std::size_t> {
    if ((out != nullptr && out->size() >= max) || offset_ >= until) return std::nullopt;
    auto f = read_frame(bytes);
    if (!f) return std::nullopt;
    if (f->gap == 0 && out != nullptr)
      out->push_back(stored_record{offset_, f->timestamp_ms, std::string(f->payload)});
    offset_ += f->offsets();
    return f->size;
  };
  while (more && byte_ < *size) {
    auto chunk =
        in_->read_at(byte_, static_cast<std::size_t>(std::min<std::int64_t>(*size - byte_, read_chunk)));
    if (!chunk) return std::move(chunk).err();
    const std::string_view rest = *chunk;
    std::size_t used = 0;
    while (const auto n = take(rest.substr(used))) used += *n;
    if (used == 0 && rest.size() >= frame_header_bytes) {
      // A frame larger than the chunk, read whole once all of it is there.
      const auto announced = announced_size(rest);
      if (announced && *announced > rest.size() && byte_ + static_cast<std::int64_t>(*announced) <= *size) {
        auto whole = in_->read_at(byte_, *announced);
        if (!whole) return std::move(whole).err();
        if (const auto n = take(*whole)) used = *n;
      }
    }
    more = used > 0;
    byte_ += static_cast<std::int64_t>(used);
  }
  return {};
}

base::result<bool> follower::go_to_newer(const std::vector<std::int64_t>& newer) {
  auto size = in_->size();
  if (!size) return std::move(size).err();
  const std::string finished = path_;
  const std::int64_t left_at = byte_, end = offset_;
  for (const std::int64_t base : newer) {
    auto opened = open_segment(base);
    if (!opened) return std::move(opened).err();
    if (!*opened) continue;  // deleted by retention meanwhile
    if (left_at < *size) {
      wal_log().warn("log dir={} bytes {}..{} of {} hold no whole record (damage); going on at offset {}",
                     dir_, left_at, *size, finished, base_);
    } else if (base_ != end) {
      wal_log().warn(
          "log dir={} offsets {}..{} are not in the log (deleted, or lost to damage); going on at {}", dir_,
          end, base_ - 1, base_);
    }
    return true;
  }
  return false;
}

base::result<bool> follower::reopen_if_replaced() {
  auto fresh = files_.open(path_, open_mode::read_if_exists);
  if (!fresh) return std::move(fresh).err();
  if (!*fresh) return false;  // deleted: its newer segment will follow
  // The same file has the same size; an append between the first and the last call shows as a
  // change in ours.
  auto ours = in_->size();
  auto theirs = (*fresh)->size();
  auto ours_again = in_->size();
  if (!ours || !theirs || !ours_again) {
    return std::move(!ours ? ours : !theirs ? theirs : ours_again).err();
  }
  if (*ours == *theirs || *ours != *ours_again) return false;
  const std::int64_t from = offset_;
  wal_log().warn(
      "log dir={} segment {} was replaced (a restarted clicktrail run rebuilt it); reading on "
      "in it from offset {}",
      dir_, path_, from);
  in_ = std::move(fresh).value();
  byte_ = 0;
  offset_ = base_;
  if (auto s = read_frames(nullptr, 0, from); !s) return std::move(s).err();
  return true;
}

}  // namespace clicktrail::wal
