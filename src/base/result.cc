#include "base/result.h"

namespace clicktrail::base {

const char* to_string(outcome o) noexcept {
  switch (o) {
    case outcome::retry:
      return "retry";
    case outcome::reject:
      return "reject";
    case outcome::fail:
      return "fail";
    case outcome::conflict:
      return "conflict";
  }
  return "fail";
}

}  // namespace clicktrail::base
