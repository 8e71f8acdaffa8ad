#include "enrich/literal_scanner.h"

#include <fmt/format.h>
#include <hs/hs.h>

#include <algorithm>

#include "enrich/compiled_cache.h"

namespace clicktrail::enrich {

namespace {

int on_literal(unsigned id, unsigned long long /*from*/, unsigned long long /*to*/, unsigned /*flags*/,
               void* found) {
  static_cast<std::vector<int>*>(found)->push_back(static_cast<int>(id));
  return 0;  // go on
}

}  // namespace

literal_scanner::literal_scanner(literal_scanner&&) noexcept = default;
literal_scanner& literal_scanner::operator=(literal_scanner&&) noexcept = default;
literal_scanner::~literal_scanner() = default;

base::result<literal_scanner> literal_scanner::compile(const std::vector<std::string>& literals,
                                                       const compiled_cache* cache) {
  literal_scanner out;
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
  std::string inputs = "hs_compile_lit_multi HS_MODE_BLOCK\n";
  for (std::size_t i = 0; i < texts.size(); ++i) {
    compiled_cache::add_expression(inputs, ids[i], flags[i], std::string_view(texts[i], lengths[i]));
  }
  if (hs_database_t* cached = cache != nullptr ? cache->load(inputs) : nullptr) {
    out.database_ = vectorscan_database::adopt(cached);
    return out;
  }
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
  out.database_ = vectorscan_database::adopt(db);
  if (cache != nullptr) cache->store(inputs, db);
  return out;
}

void literal_scanner::scan(std::string_view text, std::vector<int>& found) const {
  found.insert(found.end(), always_found_.begin(), always_found_.end());
  if (!database_.db) return;
  hs_scratch_t* scratch = thread_scratch<literal_scanner>(database_);
  if (hs_scan(database_.db.get(), text.data(), static_cast<unsigned>(text.size()), 0, scratch, on_literal,
              &found) != HS_SUCCESS) {
    // Not expected (the scratch is this thread's own and fits): report every literal rather than
    // miss one, which costs time but never a wrong answer.
    found.clear();
    for (std::size_t i = 0; i < literal_count_; ++i) found.push_back(static_cast<int>(i));
  }
}

}  // namespace clicktrail::enrich
