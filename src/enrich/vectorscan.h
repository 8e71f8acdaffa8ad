#pragma once
// What the module's Vectorscan users share (the crawler list in bots.cc, the rules' literals in
// literal_scanner.cc): a compiled database owned by a pointer, with a serial that tells each
// thread whether its scratch space fits it.

#include <memory>

struct hs_database;
struct hs_scratch;

namespace clicktrail::enrich {

struct free_hs_database {
  void operator()(hs_database* db) const noexcept;
};

struct vectorscan_database {
  std::unique_ptr<hs_database, free_hs_database> db;  // null: nothing compiled
  unsigned long serial = 0;                           // unique per compiled database

  // Takes a freshly compiled database and gives it its serial.
  static vectorscan_database adopt(hs_database* compiled);
};

// This thread's scratch space for `Owner`'s databases, grown to fit `d` the first time this thread
// scans it (a no-op when it is big enough). Each owner keeps a scratch of its own, so that two
// databases scanned one after the other per user agent do not refit one scratch every time.
// Throws std::bad_alloc when Vectorscan cannot allocate it.
template <class Owner>
hs_scratch* thread_scratch(const vectorscan_database& d);

namespace detail {
struct scratch_slot {
  hs_scratch* scratch = nullptr;
  unsigned long fits = 0;  // the serial of the last database it was fitted to
  scratch_slot() = default;
  scratch_slot(const scratch_slot&) = delete;
  scratch_slot& operator=(const scratch_slot&) = delete;
  ~scratch_slot();
};
hs_scratch* fit(scratch_slot& slot, const vectorscan_database& d);
}  // namespace detail

template <class Owner>
hs_scratch* thread_scratch(const vectorscan_database& d) {
  thread_local detail::scratch_slot slot;
  return detail::fit(slot, d);
}

}  // namespace clicktrail::enrich
