#include "enrich/literal_scanner.h"

#include <fmt/format.h>
#include <hs/hs.h>

#include <algorithm>
#include <atomic>
#include <new>

namespace clicktrail::enrich {

namespace {

// This thread's Vectorscan scratch space, and the scanner it was last checked against.
struct thread_scratch {
  hs_scratch_t* scratch = nullptr;
  unsigned long fits = 0;  // a scanner's serial; 0: none yet
  thread_scratch() = default;
  thread_scratch(const thread_scratch&) = delete;
  thread_scratch& operator=(const thread_scratch&) = delete;
  ~thread_scratch() { hs_free_scratch(scratch); }
};
thread_local thread_scratch this_thread;

std::atomic<unsigned long> next_serial{1};

int on_literal(unsigned id, unsigned long long /*from*/, unsigned long long /*to*/, unsigned /*flags*/,
               void* found) {
  static_cast<std::vector<int>*>(found)->push_back(static_cast<int>(id));
  return 0;  // go on
}

}  // namespace

void literal_scanner::free_database::operator()(hs_database* db) const noexcept {
  hs_free_database(db);
}

literal_scanner::literal_scanner(literal_scanner&&) noexcept = default;
literal_scanner& literal_scanner::operator=(literal_scanner&&) noexcept = default;
literal_scanner::~literal_scanner() = default;

base::result<literal_scanner> literal_scanner::compile(const std::vector<std::string>& literals) {
  literal_scanner out;
  out.serial_ = next_serial.fetch_add(1);
  out.literal_count_ = literals.size();
  std::vector<const char*> texts;
  std::vector<std::size_t> lengths;
  std::vector<unsigned> ids, flags;
  for (std::size_t i = 0; i < literals.size(); ++i) {
    const std::string& literal = literals[i];
    bool ascii = std::all_of(literal.begin(), literal.end(), [](char c) { return (c & 0x80) == 0; });
    if (!ascii || literal.empty()) {
      out.always_found_.push_back(static_cast<int>(i));
      continue;
    }
    texts.push_back(literal.data());
    lengths.push_back(literal.size());
    ids.push_back(static_cast<unsigned>(i));
    flags.push_back(HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH);
  }
  if (texts.empty()) return out;
  hs_database_t* db = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_compile_lit_multi(texts.data(), flags.data(), ids.data(), lengths.data(),
                           static_cast<unsigned>(texts.size()), HS_MODE_BLOCK, nullptr, &db,
                           &error) != HS_SUCCESS) {
    std::string why = error != nullptr && error->message != nullptr ? error->message : "unknown error";
    int which = error != nullptr ? error->expression : -1;
    hs_free_compile_error(error);
    return base::error::fail(fmt::format(
        "Vectorscan cannot compile the {} literals{}: {}", texts.size(),
        which >= 0 ? fmt::format(" (at '{}')", texts[static_cast<std::size_t>(which)]) : "", why));
  }
  out.database_.reset(db);
  return out;
}

void literal_scanner::scan(std::string_view text, std::vector<int>& found) const {
  found.insert(found.end(), always_found_.begin(), always_found_.end());
  if (!database_) return;
  if (this_thread.fits != serial_) {
    // Grows this thread's scratch when this scanner needs more; a no-op when it is big enough.
    if (hs_alloc_scratch(database_.get(), &this_thread.scratch) != HS_SUCCESS) throw std::bad_alloc();
    this_thread.fits = serial_;
  }
  if (hs_scan(database_.get(), text.data(), static_cast<unsigned>(text.size()), 0, this_thread.scratch,
              on_literal, &found) != HS_SUCCESS) {
    // Not expected (the scratch is this thread's own and fits): report every literal rather than
    // miss one, which costs time but never a wrong answer.
    found.clear();
    for (std::size_t i = 0; i < literal_count_; ++i) found.push_back(static_cast<int>(i));
  }
}

}  // namespace clicktrail::enrich
