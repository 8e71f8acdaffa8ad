// The referrer rules on arbitrary text: the input is split at the first two NUL bytes into
// referrer, page URL and utm_medium. Nothing may crash, and every answer must be one of the
// media referrer.h promises, with well-formed UTF-8 in every field.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "base/utf8.h"
#include "enrich/embedded_data.h"
#include "enrich/referrer.h"

namespace {

bool well_formed(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (std::size_t i = 0; i < s.size();) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = clicktrail::base::utf8_length(p + i, s.size() - i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace clicktrail::enrich;
  static const referrer_classifier classifier =
      std::move(referrer_classifier::compile(referrer_sources(), "built in")).value();
  static const std::set<std::string> media = {"search", "social", "email", "paid", "internal", "unknown"};

  std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto take = [&]() {
    const std::size_t nul = input.find('\0');
    const std::string part(input.substr(0, nul));
    input.remove_prefix(nul == std::string_view::npos ? input.size() : nul + 1);
    return part;
  };
  const std::string referrer = take(), page = take(), medium = take();

  const referrer_fields f = classifier.classify(referrer, page, medium);
  if (f.medium && !media.contains(*f.medium)) std::abort();
  if (f.term && (!well_formed(*f.term) || f.term->size() > 256)) std::abort();
  return 0;
}
