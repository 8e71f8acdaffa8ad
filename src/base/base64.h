#pragma once
// Standard base64 (RFC 4648, with padding), for raw bytes kept in JSON records.

#include <string>
#include <string_view>

namespace clicktrail::base {

void append_base64(std::string& out, std::string_view bytes);

}  // namespace clicktrail::base
