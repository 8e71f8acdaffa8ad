#include "http/router.h"

#include <utility>

namespace clicktrail::http {

void router::add(std::string method, std::string path, handler h) {
  routes_.push_back({std::move(method), std::move(path), std::move(h)});
}

router::match router::find(std::string_view method, std::string_view path) const noexcept {
  match m{nullptr, "other", true};
  for (const auto& r : routes_) {
    if (r.path != path) continue;
    if (r.method == method) return {&r.h, r.path, true};
    m.label = r.path;
    m.method_allowed = false;
  }
  return m;
}

}  // namespace clicktrail::http
