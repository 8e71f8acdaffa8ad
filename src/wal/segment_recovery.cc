#include "wal/segment_recovery.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <set>

#include "base/clock.h"
#include "base/log.h"
#include "wal/probe.h"
#include "wal/record_format.h"
#include "wal/segment_scan.h"

namespace clicktrail::wal {
namespace {

constexpr std::string_view segment_suffix = ".seg";
constexpr std::string_view rebuild_suffix = ".rebuild";
constexpr std::string_view damaged_suffix = ".damaged";
constexpr std::size_t copy_chunk = 4u << 20;

spdlog::logger& wal_log() {
  return base::logger_for("wal");
}

std::string file_name(const std::string& path) {
  return path.substr(path.find_last_of('/') + 1);
}

// What a damaged segment becomes: whole frames copied, and gap frames between them.
struct rebuilt_piece {
  std::int64_t begin = 0, end = 0;  // bytes of the original to copy
  std::int64_t gap = 0;             // or: a gap frame for this many offsets
};

struct placement {
  std::vector<rebuilt_piece> pieces;
  std::int64_t end = 0;              // one past the last offset
  std::vector<std::string> lost;     // offset ranges given up, for the log line
  std::vector<std::string> damaged;  // byte ranges, for the log line
};

// Places the whole frames of a damaged segment at the highest offsets they can have had
// (segment_recovery.h): below the bound the damaged bytes before them allow, and, when a segment
// follows at `next_base`, low enough for the frames after them to fit before it.
base::result<placement> place(const segment_scan& scan, const std::string& path, std::int64_t base,
                              std::optional<std::int64_t> next_base) {
  std::int64_t after = scan.offsets();  // offsets of the whole frames not placed yet
  if (next_base && base + after > *next_base) {
    return base::error::fail(fmt::format(
        "the embedded log's segment {} holds {} offsets from {}, past the next segment's start {}: the "
        "segments do not line up. Move the log directory away to start an empty one, and keep it for "
        "inspection",
        path, after, base, *next_base));
  }
  placement out;
  std::int64_t highest = base;  // the highest offset the next whole frame can have
  std::int64_t placed = base;   // one past the last offset placed
  auto give_up = [&](std::int64_t until) {
    if (until <= placed) return;
    out.pieces.push_back(rebuilt_piece{0, 0, until - placed});
    out.lost.push_back(fmt::format("{}..{}", placed, until - 1));
    placed = until;
  };
  for (const auto& piece : scan.pieces) {
    if (piece.damaged) {
      highest += piece.offsets;
      out.damaged.push_back(fmt::format("{}-{}", piece.begin, piece.end));
      continue;
    }
    // Both bounds grow by one per frame, so the run never starts below the end of the previous one.
    const std::int64_t start = next_base ? std::min(highest, *next_base - after) : highest;
    give_up(start);
    out.pieces.push_back(rebuilt_piece{piece.begin, piece.end, 0});
    placed = start + piece.offsets;
    highest += piece.offsets;
    after -= piece.offsets;
  }
  if (next_base) {
    if (scan.tail < scan.size) out.damaged.push_back(fmt::format("{}-{}", scan.tail, scan.size));
    give_up(*next_base);
  }
  out.end = placed;
  return out;
}

// Writes the rebuilt segment to <path>.rebuild and syncs it; returns its size.
base::result<std::int64_t> write_rebuild(file_system& files, file& original, const std::string& rebuild,
                                         const placement& plan) {
  auto out = files.open(rebuild, open_mode::replace);
  if (!out) return std::move(out).err();
  std::int64_t written = 0;
  for (const auto& piece : plan.pieces) {
    if (piece.gap > 0) {
      std::string gap;
      append_gap_frame(gap, base::now_unix_ms(), piece.gap);
      if (auto s = (*out)->append(gap); !s) return std::move(s).err();
      written += static_cast<std::int64_t>(gap.size());
      continue;
    }
    for (std::int64_t at = piece.begin; at < piece.end;) {
      auto chunk =
          original.read_at(at, static_cast<std::size_t>(std::min<std::int64_t>(piece.end - at, copy_chunk)));
      if (!chunk) return std::move(chunk).err();
      if (chunk->empty())
        return base::error::fail(fmt::format("{} became shorter while it was read", rebuild));
      if (auto s = (*out)->append(*chunk); !s) return std::move(s).err();
      at += static_cast<std::int64_t>(chunk->size());
      written += static_cast<std::int64_t>(chunk->size());
    }
  }
  if (auto s = (*out)->sync(); !s) return std::move(s).err();
  return written;
}

std::string join(const std::vector<std::string>& parts) {
  return parts.empty() ? std::string("none") : fmt::format("{}", fmt::join(parts, ","));
}

class recovery {
 public:
  recovery(file_system& files, std::string dir, const std::string& log_name, probe& probe)
      : files_(files), dir_(std::move(dir)), name_(log_name), probe_(probe) {}

  base::result<std::vector<segment_info>> run() {
    if (auto s = list(); !s) return std::move(s).err();
    if (auto s = finish_rebuilds(); !s) return std::move(s).err();
    std::vector<std::int64_t> bases;
    for (const auto& name : names_) {
      if (auto base = segment_base(name)) bases.push_back(*base);
    }
    std::sort(bases.begin(), bases.end());
    std::vector<segment_info> segments;
    for (std::size_t i = 0; i < bases.size(); ++i) {
      const auto next_base = i + 1 < bases.size() ? std::optional<std::int64_t>(bases[i + 1]) : std::nullopt;
      auto seg = recover_one(bases[i], next_base);
      if (!seg) return std::move(seg).err();
      if (!segments.empty() && segments.back().base + segments.back().count != seg->base) {
        return base::error::fail(
            fmt::format("the embedded log in {} has a gap: {} ends at offset {} but the next segment starts "
                        "at {}; restore the missing segment, or move the log away to start an empty one",
                        dir_, segments.back().path, segments.back().base + segments.back().count, seg->base));
      }
      segments.push_back(std::move(seg).value());
    }
    probe_.damaged_files.set(
        static_cast<std::int64_t>(std::count_if(names_.begin(), names_.end(), [](const std::string& n) {
          return n.find(std::string(segment_suffix) + std::string(damaged_suffix)) != std::string::npos;
        })));
    return segments;
  }

 private:
  base::status list() {
    auto names = files_.list(dir_);
    if (!names) return std::move(names).err();
    names_ = std::set<std::string>(names->begin(), names->end());
    for (const auto& name : names_) {
      if (!ours(name) && warned_.insert(name).second) {
        wal_log().warn(
            "log={} ignoring a file that is not one of the log's segments file={}; move it out of {}", name_,
            dir_ + "/" + name, dir_);
      }
    }
    return {};
  }

  // A segment, a damaged one kept aside, or a rebuild of one.
  static bool ours(std::string_view name) {
    for (const std::string_view suffix : {rebuild_suffix, damaged_suffix}) {
      if (const auto at = name.find(std::string(segment_suffix) + std::string(suffix));
          at != std::string_view::npos)
        name = name.substr(0, at + segment_suffix.size());
    }
    return segment_base(name).has_value();
  }

  // Whether `segment` was moved aside as damaged (<segment>.damaged, or .damaged.N).
  bool moved_aside(const std::string& segment) const {
    const std::string aside = segment + std::string(damaged_suffix);
    const auto it = names_.lower_bound(aside);
    return it != names_.end() && it->starts_with(aside);
  }

  // A .rebuild file is a rebuild a crash cut short. Its original still in place: the rebuild
  // may be incomplete, so it is redone. The original gone (renamed to .damaged): the rebuild was
  // synced before that rename, so it is complete and takes the segment's name.
  base::status finish_rebuilds() {
    bool changed = false;
    for (const auto& name : std::set<std::string>(names_)) {
      if (!name.ends_with(rebuild_suffix)) continue;
      const std::string segment = name.substr(0, name.size() - rebuild_suffix.size());
      if (!segment_base(segment)) continue;
      if (names_.contains(segment)) {
        if (auto s = files_.remove(dir_ + "/" + name); !s) return s;
        wal_log().warn("log={} redoing the move aside of a damaged segment a crash interrupted file={}",
                       name_, dir_ + "/" + segment);
      } else if (!moved_aside(segment)) {
        // Neither the original nor its damaged copy: not a rebuild of ours cut short.
        wal_log().warn("log={} ignoring a rebuild without the segment it rebuilds file={}; move it out of {}",
                       name_, dir_ + "/" + name, dir_);
        continue;
      } else {
        if (auto s = files_.rename(dir_ + "/" + name, dir_ + "/" + segment); !s) return s;
        wal_log().warn("log={} finished moving a damaged segment aside after a crash file={}", name_,
                       dir_ + "/" + segment);
      }
      changed = true;
    }
    if (!changed) return {};
    if (auto s = files_.sync_dir(dir_); !s) return s;
    return list();
  }

  base::result<segment_info> recover_one(std::int64_t base, std::optional<std::int64_t> next_base) {
    segment_info seg{base, 0, 0, segment_path(dir_, base)};
    auto in = files_.open(seg.path, open_mode::read);
    if (!in) return std::move(in).err();
    auto scan = scan_segment(**in);
    if (!scan) return std::move(scan).err();
    const bool newest = !next_base;
    const bool torn = newest && scan->tail < scan->size;
    if (torn) {
      wal_log().warn("log={} torn tail cut file={} at_byte={} dropped_bytes={}", name_, seg.path, scan->tail,
                     scan->size - scan->tail);
      probe_.torn_tails.inc();
    }
    if (scan->damaged() || (!newest && scan->tail < scan->size)) {
      auto placed = place(*scan, seg.path, base, next_base);
      if (!placed) return std::move(placed).err();
      auto bytes = move_aside(**in, seg.path, *scan, *placed);
      if (!bytes) return std::move(bytes).err();
      seg.count = placed->end - base;
      seg.bytes = *bytes;
      return seg;
    }
    seg.count = scan->offsets();
    seg.bytes = scan->tail;
    if (torn) {
      auto out = files_.open(seg.path, open_mode::append);
      if (!out) return std::move(out).err();
      if (auto s = (*out)->truncate(scan->tail); !s) return std::move(s).err();
      if (auto s = (*out)->sync(); !s) return std::move(s).err();
    }
    return seg;
  }

  // Rebuilds the segment without its damage and renames the original to <segment>.damaged.
  base::result<std::int64_t> move_aside(file& original, const std::string& path, const segment_scan& scan,
                                        const placement& plan) {
    const std::string rebuild = path + std::string(rebuild_suffix);
    auto bytes = write_rebuild(files_, original, rebuild, plan);
    if (!bytes) return bytes;
    std::string aside = path + std::string(damaged_suffix);
    for (int n = 2; names_.contains(file_name(aside)); ++n)
      aside = fmt::format("{}{}.{}", path, damaged_suffix, n);
    if (auto s = files_.rename(path, aside); !s) return std::move(s).err();
    if (auto s = files_.rename(rebuild, path); !s) return std::move(s).err();
    if (auto s = files_.sync_dir(dir_); !s) return std::move(s).err();
    names_.insert(file_name(aside));
    probe_.damaged_segments.inc();
    wal_log().error(
        "log={} damaged segment moved aside; the log goes on with every readable record, and the damaged "
        "file is kept for inspection (delete it once looked at) file={} moved_to={} damaged_bytes={} "
        "kept_records={} lost_offsets={}",
        name_, path, aside, join(plan.damaged), scan.records(), join(plan.lost));
    return bytes;
  }

  file_system& files_;
  const std::string dir_;
  const std::string& name_;
  probe& probe_;
  std::set<std::string> names_;   // in dir_
  std::set<std::string> warned_;  // stray names already logged
};

}  // namespace

std::optional<std::int64_t> segment_base(std::string_view name) {
  if (name.size() != 20 + segment_suffix.size() || !name.ends_with(segment_suffix)) return std::nullopt;
  const std::string_view digits = name.substr(0, 20);
  if (!std::ranges::all_of(digits, [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  std::int64_t base = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), base);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;  // past 2^63 - 1
  return base;
}

std::string segment_path(const std::string& dir, std::int64_t base) {
  return fmt::format("{}/{:020}{}", dir, base, segment_suffix);
}

base::result<std::vector<segment_info>> recover_segments(file_system& files, const std::string& dir,
                                                         const std::string& log_name, probe& probe) {
  return recovery(files, dir, log_name, probe).run();
}

}  // namespace clicktrail::wal
