#include "event/json_parser.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>

namespace clicktrail::event {
namespace {

// Grow in powers of two from 64 KiB, so that bodies of varying size settle on one allocation.
std::size_t grown(std::size_t needed) noexcept {
  return std::bit_ceil(std::max<std::size_t>(needed, std::size_t{64} * 1024));
}

}  // namespace

simdjson::error_code json_parser::parse(std::string_view text, std::size_t max_depth,
                                        simdjson::dom::element& root) {
  return parse(simdjson::padded_string_view(text, text.size()), max_depth, root);
}

simdjson::error_code json_parser::parse(simdjson::padded_string_view text, std::size_t max_depth,
                                        simdjson::dom::element& root) {
  // simdjson refuses a document whose non-empty containers nest max_depth deep, so ask for one
  // more than we accept.
  const std::size_t simdjson_depth = max_depth + 1;
  if (text.size() > parser_capacity_ || simdjson_depth != parser_depth_) {
    const std::size_t capacity = std::max(grown(text.size()), parser_capacity_);
    if (const auto error = parser_.allocate(capacity, simdjson_depth)) return error;
    parser_capacity_ = capacity;
    parser_depth_ = simdjson_depth;
  }
  if (text.padding() >= simdjson::SIMDJSON_PADDING)
    return parser_.parse(text.data(), text.size(), false).get(root);

  if (!buffer_ || text.size() > buffer_capacity_) {
    const std::size_t capacity = grown(text.size());
    buffer_.reset(new (std::nothrow) char[capacity + simdjson::SIMDJSON_PADDING]);
    buffer_capacity_ = buffer_ ? capacity : 0;
    if (!buffer_) return simdjson::MEMALLOC;
  }
  if (!text.empty()) std::memcpy(buffer_.get(), text.data(), text.size());
  // Zeroed padding keeps simdjson's reads past the end deterministic (and quiet under MSan).
  std::memset(buffer_.get() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  return parser_.parse(buffer_.get(), text.size(), false).get(root);
}

simdjson::padded_string_view padded(std::string& text) {
  const std::size_t size = text.size();
  text.append(simdjson::SIMDJSON_PADDING, '\0');
  text.resize(size);  // keeps the capacity and the zeros past the end
  return simdjson::padded_string_view(text);
}

}  // namespace clicktrail::event
