#pragma once
// Whether text is well-formed UTF-8 (RFC 3629), as every decoder checks its strings: ASCII, most
// text, is recognised eight bytes at a time (base::is_ascii), and only the rest goes to simdjson's
// validator, whose call costs ~110 instructions even on a short value.

#include <simdjson.h>

#include <string_view>

#include "base/utf8.h"

namespace clicktrail::event {

inline bool valid_utf8(std::string_view s) noexcept {
  return base::is_ascii(s) || simdjson::validate_utf8(s.data(), s.size());
}

}  // namespace clicktrail::event
