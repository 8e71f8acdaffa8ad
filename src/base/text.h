#pragma once
// Small ASCII text helpers for protocol text: header values, config lines, media types.

#include <string_view>

namespace clicktrail::base {

// Without leading and trailing spaces, tabs, CRs and LFs.
std::string_view trim(std::string_view s) noexcept;

// Equal ignoring ASCII case ("Application/JSON" == "application/json").
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace clicktrail::base
