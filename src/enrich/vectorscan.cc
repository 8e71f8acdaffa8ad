#include "enrich/vectorscan.h"

#include <hs/hs.h>

#include <atomic>
#include <new>

namespace clicktrail::enrich {
namespace {

std::atomic<unsigned long> next_serial{1};

}  // namespace

void free_hs_database::operator()(hs_database* db) const noexcept {
  hs_free_database(db);
}

vectorscan_database vectorscan_database::adopt(hs_database* compiled) {
  vectorscan_database out;
  out.db.reset(compiled);
  out.serial = next_serial.fetch_add(1, std::memory_order_relaxed);
  return out;
}

namespace detail {

scratch_slot::~scratch_slot() {
  hs_free_scratch(scratch);
}

hs_scratch* fit(scratch_slot& slot, const vectorscan_database& d) {
  if (slot.fits != d.serial) {
    if (hs_alloc_scratch(d.db.get(), &slot.scratch) != HS_SUCCESS) throw std::bad_alloc();
    slot.fits = d.serial;
  }
  return slot.scratch;
}

}  // namespace detail
}  // namespace clicktrail::enrich
