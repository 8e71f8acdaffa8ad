#pragma once
// Writing JSON strings by hand, for the small answers and records built on hot paths.

#include <string>
#include <string_view>

namespace clicktrail::base {

// Appends `text` as a JSON string, quotes included. Control characters become \u00XX; UTF-8 is
// copied as it is, and each byte that is not part of well-formed UTF-8 becomes U+FFFD, so the
// result is valid JSON even when `text` holds a client's bytes (a header, a cut message).
void append_json_string(std::string& out, std::string_view text);

// {"error":"<code>","message":"<message>"}: the body of every refusal clicktrail answers.
std::string json_error_body(std::string_view code, std::string_view message);

}  // namespace clicktrail::base
