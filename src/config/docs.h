#pragma once
// The configuration reference, generated from the settings table: `clicktrail config docs`
// prints it and docs/configuration.md holds a copy that a test keeps current.

#include <string>

namespace clicktrail::config {

std::string reference_markdown();

}  // namespace clicktrail::config
