#include "http/operator_access.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>

#include <array>
#include <utility>

namespace clicktrail::http {
namespace {

// The value of `name` in an undecoded query string, or empty.
std::string_view query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=')
      return pair.substr(name.size() + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

bool same_secret(std::string_view given, const std::string& token) noexcept {
  return given.size() == token.size() && CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
}

}  // namespace

bool is_loopback(std::string_view host) noexcept {
  if (host == "localhost") return true;
  const std::string text(host);
  std::array<unsigned char, 16> address{};
  if (inet_pton(AF_INET, text.c_str(), address.data()) == 1) return address[0] == 127;
  if (inet_pton(AF_INET6, text.c_str(), address.data()) == 1) {
    static constexpr std::array<unsigned char, 16> v6_loopback{0, 0, 0, 0, 0, 0, 0, 0,
                                                               0, 0, 0, 0, 0, 0, 0, 1};
    return address == v6_loopback;
  }
  return false;
}

handler require_token(std::string token, handler inner) {
  return [token = std::move(token), inner = std::move(inner)](request&& r, reply_fn reply) {
    std::string_view given = query_value(r.query, "token");
    if (const std::string_view authorization = r.header("authorization");
        authorization.starts_with("Bearer "))
      given = authorization.substr(7);
    if (!same_secret(given, token)) {
      auto denied = response::json_error(
          401, "unauthorized",
          "the operator routes need the admin token: send Authorization: Bearer <http.admin_token>, or open "
          "/inspect?token=<http.admin_token>");
      denied.headers.emplace_back("WWW-Authenticate", "Bearer");
      return reply(std::move(denied));
    }
    inner(std::move(r), std::move(reply));
  };
}

guard unguarded() {
  return [](handler h) { return h; };
}

std::optional<guard> operator_guard(std::string_view host, const std::string& token) {
  if (is_loopback(host)) return unguarded();
  if (token.empty()) return std::nullopt;
  return guard([token](handler h) { return require_token(token, std::move(h)); });
}

}  // namespace clicktrail::http
