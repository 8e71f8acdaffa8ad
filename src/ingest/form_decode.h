#pragma once
// application/x-www-form-urlencoded decoding, for the pixel's query and the utm_* parameters
// of page URLs.

#include <optional>
#include <string>
#include <string_view>

namespace clicktrail::ingest {

// %XX escapes and '+' as space; a malformed escape is kept as it is. nullopt when the result is
// not valid UTF-8 (it ends up in a JSON string).
std::optional<std::string> form_decode(std::string_view in);

}  // namespace clicktrail::ingest
