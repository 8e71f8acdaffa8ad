#pragma once
// The Lambda Runtime API as a custom runtime speaks it (AWS's "Custom runtime" documentation,
// API version 2018-06-01): ask for the next invocation, then post its response or its error;
// or, when start-up fails, post the init error. One HTTP/1.1 connection to
// AWS_LAMBDA_RUNTIME_API, kept alive across invocations and opened again if it drops.
//
// Lifetime: one per process. Thread-safety: none; the runtime loop is its only caller.

#include <memory>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"

namespace clicktrail::lambda {

struct invocation {
  std::string request_id;    // Lambda-Runtime-Aws-Request-Id
  base::unix_ms deadline{};  // Lambda-Runtime-Deadline-Ms: when the function times out
  std::string trace_id;      // Lambda-Runtime-Trace-Id, for _X_AMZN_TRACE_ID
  std::string event;         // the event JSON
};

class runtime_client {
 public:
  // `address` is host:port, as in AWS_LAMBDA_RUNTIME_API. Nothing is sent until the first call.
  explicit runtime_client(std::string address);
  ~runtime_client();
  runtime_client(runtime_client&&) noexcept;
  runtime_client& operator=(runtime_client&&) noexcept;

  // Blocks until Lambda hands over the next invocation (the process may be frozen meanwhile).
  base::result<invocation> next();
  // The invocation's result; Lambda gives it to the caller.
  base::status respond(const invocation& inv, std::string_view body);
  // The invocation failed in a way no response describes (it was not an API Gateway event).
  base::status fail_invocation(const invocation& inv, std::string_view error_type, std::string_view message);
  // Start-up failed: Lambda reports `message` to whoever invokes, and the process should exit.
  base::status fail_init(std::string_view error_type, std::string_view message);

 private:
  class connection;
  std::unique_ptr<connection> connection_;
};

}  // namespace clicktrail::lambda
