#pragma once
// Standard base64 (RFC 4648, with padding): raw bytes kept in JSON records, and the binary
// bodies API Gateway hands a Lambda function.

#include <optional>
#include <string>
#include <string_view>

namespace clicktrail::base {

void append_base64(std::string& out, std::string_view bytes);

// The bytes, or nullopt when `text` is not base64 (padding may be left out; no whitespace).
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace clicktrail::base
