#include "lambda/runtime_loop.h"

#include <algorithm>

#include "base/log.h"

namespace clicktrail::lambda {

base::steady::time_point answer_deadline(base::unix_ms deadline, base::unix_ms now,
                                         base::steady::time_point steady_now) {
  const auto left = std::chrono::milliseconds(std::max<base::unix_ms>(deadline - now, 0));
  const auto margin = std::clamp(left / 10, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
  return steady_now + std::max(left - margin, std::chrono::milliseconds(0));
}

base::error serve(runtime_client& runtime, function& fn, const settle_fn& settle) {
  auto& log = base::logger_for("lambda");
  for (;;) {
    auto inv = runtime.next();
    if (!inv) return std::move(inv).err();
    const auto answer_by = answer_deadline(inv->deadline, base::now_unix_ms(), base::steady::now());
    auto response = fn.handle(inv->event, answer_by);
    base::status sent =
        response ? runtime.respond(*inv, *response)
                 : runtime.fail_invocation(*inv, "Clicktrail.NotAnApiGatewayEvent", response.err().message);
    if (!response) log.warn("invocation {} refused: {}", inv->request_id, response.err().message);
    if (!sent) return std::move(sent).err();
    settle(answer_by);
  }
}

}  // namespace clicktrail::lambda
