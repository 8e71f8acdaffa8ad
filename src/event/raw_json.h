#pragma once
// Finding values in JSON source text that simdjson has already validated. simdjson's DOM keeps
// no source positions, and a rejected event must be reported as it was sent (and measured as
// sent, for event_too_large), so these walk the text beside the DOM: the i-th element here is the
// i-th element there. Strings are skipped with memchr; nothing is checked twice.

#include <cstddef>
#include <string_view>

namespace clicktrail::event::raw {

// `text` without the JSON whitespace around it.
std::string_view trim(std::string_view text) noexcept;

// The elements of a JSON array, from its text ('[' … ']'), one after another.
class array_cursor {
 public:
  explicit array_cursor(std::string_view array_text) noexcept;

  // The text of element `index`; successive calls must not go back to an earlier index.
  std::string_view element(std::size_t index) noexcept;

 private:
  const char* at_;
  const char* end_;
  std::size_t next_ = 0;   // the index of the element at_ points before
  std::string_view last_;  // the text of element next_ - 1
};

// The text from the start of the value of the `index`-th member of the JSON object
// `object_text` to the end of `object_text`: enough for an array_cursor, and it walks only the
// members before that one.
std::string_view value_onward(std::string_view object_text, std::size_t index) noexcept;

// The text of the array or object that `text` starts with, when it nests arrays and objects at
// most `max_depth` deep and is already spelled as write_compact would write it out (no whitespace
// outside strings, escapes only where write_string makes them, integers only); empty otherwise.
// The text can then be copied as it is: a value read back from a stored event, written out again,
// is the same bytes.
std::string_view compact_value(std::string_view text, std::size_t max_depth) noexcept;

}  // namespace clicktrail::event::raw
