#pragma once
// The route table: (method, path) → handler, matched exactly. Built once at start-up, then read
// concurrently by every server thread without locks.

#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace clicktrail::http {

class router {
 public:
  // `route_label` names the route in metrics (a fixed set, never the raw path).
  void add(std::string method, std::string path, handler h);

  struct match {
    const handler* target = nullptr;  // null: no route
    std::string_view label;           // "/v1/events", or "other" when unmatched
    bool method_allowed = true;       // false: the path exists under another method (405)
  };
  match find(std::string_view method, std::string_view path) const noexcept;

 private:
  struct route {
    std::string method;
    std::string path;
    handler h;
  };
  std::vector<route> routes_;
};

}  // namespace clicktrail::http
