#pragma once
// literal_scanner: which of a fixed set of literals occur in a text, ASCII case ignored, in one
// pass (Vectorscan's literal matcher). The user-agent parser asks it which of its rules'
// required literals ("atoms") a user agent contains.
//
// Built once, then read-only: scan() may be called from any number of threads at once. Each
// thread keeps its own Vectorscan scratch space (thread_local, freed when the thread ends), grown
// to fit every scanner it has used.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "enrich/vectorscan.h"

struct hs_database;

namespace clicktrail::enrich {

class compiled_cache;

class literal_scanner {
 public:
  // Literals are found by their index in `literals`. One with a byte outside ASCII is reported
  // present in every text: Vectorscan folds ASCII case only, and missing a literal would make
  // the caller skip a rule that could match.
  // `cache`, if given, keeps the compiled database between runs (compiled_cache.h).
  static base::result<literal_scanner> compile(const std::vector<std::string>& literals,
                                               const compiled_cache* cache = nullptr);

  // Appends to `found` the index of each literal that occurs in `text`, each once, in no order.
  void scan(std::string_view text, std::vector<int>& found) const;

  literal_scanner(literal_scanner&&) noexcept;
  literal_scanner& operator=(literal_scanner&&) noexcept;
  ~literal_scanner();

 private:
  literal_scanner() = default;

  vectorscan_database database_;   // null when no literal is ASCII
  std::vector<int> always_found_;  // the literals with bytes beyond ASCII
  std::size_t literal_count_ = 0;
};

}  // namespace clicktrail::enrich
