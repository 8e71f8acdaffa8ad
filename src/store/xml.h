#pragma once
// Just enough XML for S3's answers (ListObjectsV2, CreateMultipartUpload, errors): find elements
// by name and read their text with entities decoded. S3's documents are flat, their element
// names never nest in themselves, and text never holds markup, which is what makes this enough.
// Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clicktrail::store::xml {

// The raw inner text of every <name>…</name> (or empty for <name/>), in document order,
// at any depth; an element named "Key" is not matched by "KeyCount".
std::vector<std::string_view> elements(std::string_view doc, std::string_view name);

// The first such element, or nullopt.
std::optional<std::string_view> element(std::string_view doc, std::string_view name);

// Decodes &amp; &lt; &gt; &quot; &apos;, &#N; and &#xH; (as UTF-8), and CDATA sections.
// nullopt when an entity is malformed or unknown.
std::optional<std::string> unescape(std::string_view text);

// The inverse for text content: & < > " ' as entities.
std::string escape(std::string_view text);

// The decoded text of the first <name>, or nullopt when absent or malformed.
std::optional<std::string> text(std::string_view doc, std::string_view name);

}  // namespace clicktrail::store::xml
