#pragma once
// The process environment, copied once at start-up: getenv() races with setenv() in another
// thread, and the credential sources read variables whenever credentials are refreshed. Tests
// build one from a map instead of changing the real environment. Immutable; thread-safe.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace clicktrail::store {

class environment {
 public:
  environment() = default;
  explicit environment(std::map<std::string, std::string, std::less<>> vars) : vars_(std::move(vars)) {}

  // Call before threads start (main, or a test's set-up).
  static environment from_process();

  // nullopt when unset or empty (an empty AWS_PROFILE means the default, as in the AWS CLI).
  std::optional<std::string> get(std::string_view name) const {
    const auto it = vars_.find(name);
    if (it == vars_.end() || it->second.empty()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

}  // namespace clicktrail::store
