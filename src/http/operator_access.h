#pragma once
// Who may reach the operator routes (/metrics, and `clicktrail run`'s inspector, which streams
// every visitor's events): operators, not the public. They are served on a listener of their own
// (http.admin_listen), on the main listener when it only listens on loopback, or there behind a
// bearer token (http.admin_token); docs/operations.md says which when.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"

namespace clicktrail::http {

// 127.0.0.0/8, ::1 or "localhost": only this machine can connect.
bool is_loopback(std::string_view host) noexcept;

// What mounts an operator route on a listener: the handler as it is, or behind the token.
using guard = std::function<handler(handler)>;

// The handler as it is: for a listener only operators reach.
guard unguarded();

// `inner` for requests with `Authorization: Bearer TOKEN` or `?token=TOKEN` (the inspector's page
// and its event stream, which a browser opens without headers); 401 for any other.
handler require_token(std::string token, handler inner);

// How the operator routes go on the main listener at `host`: as they are when it is loopback,
// behind `token` when there is one, or not at all (nullopt).
std::optional<guard> operator_guard(std::string_view host, const std::string& token);

}  // namespace clicktrail::http
