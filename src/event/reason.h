#pragma once
// The reason codes with their descriptions, for docs/event-schema.md.

#include <span>
#include <string_view>

#include "event/decode.h"

namespace clicktrail::event {

struct reason_info {
  reason code;
  std::string_view name;     // what to_string() returns
  bool whole_body;           // refuses the body (400/413) rather than rejecting one event
  std::string_view meaning;  // one line for the docs
};

std::span<const reason_info> all_reasons() noexcept;

}  // namespace clicktrail::event
