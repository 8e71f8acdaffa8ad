#pragma once
// The custom runtime's loop: next invocation → the function → its response (or its error),
// then let the background work of that invocation settle before asking for the next one,
// because Lambda freezes the process in between and a frozen process sends nothing.

#include <chrono>
#include <functional>

#include "base/clock.h"
#include "lambda/function.h"
#include "lambda/runtime_client.h"

namespace clicktrail::lambda {

// Waits, at most until the given time, for what the invocation left in flight (the producer's
// bad-topic records, late deliveries). Runs after the response has gone to Lambda.
using settle_fn = std::function<void(base::steady::time_point until)>;

// The time left for an invocation whose deadline is `deadline` (Unix ms), less a margin for
// sending the response: a tenth of what is left, between 50 ms and 1 s.
base::steady::time_point answer_deadline(base::unix_ms deadline, base::unix_ms now,
                                         base::steady::time_point steady_now);

// Serves invocations until the Runtime API fails (then the process should exit and Lambda
// starts a new one). Returns that failure.
base::error serve(runtime_client& runtime, function& fn, const settle_fn& settle);

}  // namespace clicktrail::lambda
