#pragma once
// The hashes SigV4 needs, over OpenSSL's libcrypto. Pure functions; thread-safe.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace clicktrail::store {

using sha256_digest = std::array<std::uint8_t, 32>;

sha256_digest sha256(std::string_view bytes);
sha256_digest hmac_sha256(std::string_view key, std::string_view message);

// Lower-case hex, as SigV4 writes every hash.
std::string to_hex(const sha256_digest& digest);
std::string sha256_hex(std::string_view bytes);

// The digest as bytes, to feed the next HMAC in the key derivation.
inline std::string_view as_bytes(const sha256_digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};  // NOLINT: bytes as chars
}

}  // namespace clicktrail::store
