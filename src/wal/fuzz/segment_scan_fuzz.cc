// libFuzzer target: the scan that reads a segment back at start-up (segment_scan.h), over a
// segment built from the input (records and gap frames), then with some of its bytes overwritten.
// Whole, the segment scans as exactly the frames written; damaged, the scan still accounts for
// every byte in order, each run it reports re-reads as whole frames, and nothing crashes.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wal/record_format.h"
#include "wal/segment_scan.h"

namespace {

using namespace clicktrail;
using namespace clicktrail::wal;

[[noreturn]] void broken(const char* promise) {
  std::fprintf(stderr, "broken promise: %s\n", promise);
  std::abort();
}

// A segment in memory, read through the file interface.
class memory_file final : public file {
 public:
  explicit memory_file(std::string bytes) : bytes_(std::move(bytes)) {}
  base::status append(std::string_view bytes) override {
    bytes_.append(bytes);
    return {};
  }
  base::result<std::string> read_at(std::int64_t at, std::size_t n) override {
    if (at >= static_cast<std::int64_t>(bytes_.size())) return std::string();
    return bytes_.substr(static_cast<std::size_t>(at), n);
  }
  base::result<std::int64_t> size() override { return static_cast<std::int64_t>(bytes_.size()); }
  base::status sync() override { return {}; }
  base::status truncate(std::int64_t size) override {
    bytes_.resize(static_cast<std::size_t>(size));
    return {};
  }

 private:
  std::string bytes_;
};

struct built {
  std::string bytes;
  std::int64_t offsets = 0, records = 0;
};

// Frames from the input: a length byte, then that many payload bytes; 255 makes a gap frame whose
// count is the next byte plus one.
built build(std::string_view in) {
  built b;
  std::int64_t ts = 1'700'000'000'000;
  while (!in.empty()) {
    const auto n = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    if (n == 255) {
      const std::int64_t count = in.empty() ? 1 : static_cast<unsigned char>(in.front()) + 1;
      if (!in.empty()) in.remove_prefix(1);
      append_gap_frame(b.bytes, ts++, count);
      b.offsets += count;
      continue;
    }
    const std::string_view payload = in.substr(0, n);
    in.remove_prefix(payload.size());
    append_frame(b.bytes, ts++, payload);
    ++b.offsets;
    ++b.records;
  }
  return b;
}

segment_scan scan(const std::string& bytes) {
  memory_file f(bytes);
  auto s = scan_segment(f);
  if (!s) broken("a scan of memory does not fail");
  return std::move(s).value();
}

void check_accounts_for_every_byte(const std::string& bytes, const segment_scan& s) {
  if (s.size != static_cast<std::int64_t>(bytes.size())) broken("size is the file's");
  std::int64_t at = 0;
  bool after_damage = false;
  for (const auto& p : s.pieces) {
    if (p.begin != at || p.end <= p.begin) broken("pieces follow each other, each non-empty");
    if (p.damaged) {
      if (after_damage || p.offsets < 1) broken("damage is followed by whole frames and costs an offset");
      after_damage = true;
    } else {
      std::int64_t offsets = 0, records = 0;
      for (std::int64_t x = p.begin; x < p.end;) {
        const auto f = read_frame(std::string_view(bytes).substr(static_cast<std::size_t>(x)));
        if (!f) broken("a run re-reads as whole frames");
        offsets += f->offsets();
        records += f->gap > 0 ? 0 : 1;
        x += static_cast<std::int64_t>(f->size);
        if (x > p.end) broken("a run ends on a frame boundary");
      }
      if (offsets != p.offsets || records != p.records) broken("a run's counts are its frames'");
      after_damage = false;
    }
    at = p.end;
  }
  if (after_damage) broken("damage is followed by whole frames");
  if (s.tail != at || s.tail > s.size) broken("the tail starts where the pieces end");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // First: how many bytes to overwrite, each as (position: 2 bytes, value: 1 byte).
  const std::size_t damage = in.empty() ? 0 : static_cast<unsigned char>(in.front()) % 8;
  if (!in.empty()) in.remove_prefix(1);
  const std::string_view edits = in.substr(0, damage * 3);
  in.remove_prefix(edits.size());

  const built whole = build(in);
  const segment_scan clean = scan(whole.bytes);
  check_accounts_for_every_byte(whole.bytes, clean);
  if (clean.damaged() || clean.tail != clean.size || clean.offsets() != whole.offsets ||
      clean.records() != whole.records) {
    broken("a whole segment scans as exactly its frames");
  }
  if (whole.bytes.empty()) return 0;

  std::string damaged = whole.bytes;
  for (std::size_t i = 0; i + 3 <= edits.size(); i += 3) {
    const std::size_t at = (static_cast<unsigned char>(edits[i]) |
                            static_cast<std::size_t>(static_cast<unsigned char>(edits[i + 1])) << 8) %
                           damaged.size();
    damaged[at] = edits[i + 2];
  }
  check_accounts_for_every_byte(damaged, scan(damaged));
  return 0;
}
