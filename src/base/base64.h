#pragma once
// Standard base64 (RFC 4648, with padding): raw bytes kept in JSON records, and the binary
// bodies API Gateway hands a Lambda function. Decoding also takes the URL-safe alphabet where a
// protocol uses it (Snowplow's cx and ue_px).

#include <optional>
#include <string>
#include <string_view>

namespace clicktrail::base {

void append_base64(std::string& out, std::string_view bytes);

// The bytes, or nullopt when `text` is not base64 (padding may be left out; no whitespace).
std::optional<std::string> decode_base64(std::string_view text);

// The same for text in either alphabet: the standard one or the URL-safe one of RFC 4648 §5
// ('-' and '_' for '+' and '/'), padding optional. Trackers differ (Snowplow's JS tracker strips
// the padding of URL-safe base64, others keep it or use the standard alphabet).
std::optional<std::string> decode_base64_any(std::string_view text);

}  // namespace clicktrail::base
