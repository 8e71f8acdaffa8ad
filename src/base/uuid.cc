#include "base/uuid.h"

#include <openssl/sha.h>
#include <sys/random.h>

#include <array>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>

#include "base/text.h"

namespace clicktrail::base {
namespace {

std::uint64_t os_random_seed() {
  std::uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed)) {
    seed = std::random_device{}();
  }
  return seed;
}

struct v7_state {
  std::mt19937_64 rng{os_random_seed()};
  unix_ms last_ms = -1;
  std::uint16_t counter = 0;  // 12 bits used
};

}  // namespace

unix_ms uuid::v7_time() const noexcept {
  std::int64_t ms = 0;
  for (int i = 0; i < 6; ++i) ms = (ms << 8) | bytes[static_cast<size_t>(i)];
  return ms;
}

std::string uuid::to_string() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(uuid_text_size);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 0xf]);
  }
  return out;
}

std::optional<uuid> parse_uuid(std::string_view text) noexcept {
  if (text.size() != uuid_text_size || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    return std::nullopt;
  }
  // Where each byte's two digits start in 8-4-4-4-12.
  static constexpr std::array<std::uint8_t, 16> at = {0,  2,  4,  6,  9,  11, 14, 16,
                                                      19, 21, 24, 26, 28, 30, 32, 34};
  uuid id;
  int invalid = 0;  // negative once any digit is not one
  for (std::size_t b = 0; b < at.size(); ++b) {
    const int hi = hex_value(text[at[b]]), lo = hex_value(text[at[b] + 1u]);
    invalid |= hi | lo;
    id.bytes[b] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  if (invalid < 0) return std::nullopt;
  return id;
}

void lower_case_uuid_text(std::string& text) noexcept {
  // Its bytes are hex digits and '-', which all have bit 5 (0x20) set except 'A' to 'F', which
  // it makes 'a' to 'f': a word at a time (the last overlapping the one before), where a branch
  // per character cost ~330 instructions an event.
  static_assert(uuid_text_size > 8);
  assert(text.size() == uuid_text_size);
  const auto lower = [&](std::size_t at) {
    std::uint64_t w;
    std::memcpy(&w, text.data() + at, 8);
    w |= 0x2020202020202020ULL;
    std::memcpy(text.data() + at, &w, 8);
  };
  for (std::size_t at = 0; at + 8 <= uuid_text_size; at += 8) lower(at);
  lower(uuid_text_size - 8);
}

uuid make_uuid_v7(unix_ms now) {
  thread_local v7_state state;
  std::uint64_t random = state.rng();
  if (now > state.last_ms) {
    state.last_ms = now;
    // Start the counter in the lower half so that many ids can follow within the millisecond.
    state.counter = static_cast<std::uint16_t>(random & 0x7ff);
    random = state.rng();
  } else if (++state.counter > 0xfff) {
    // Counter exhausted (over 2048 ids in one millisecond) or the clock went back: borrow the
    // next millisecond so that ids stay strictly increasing.
    ++state.last_ms;
    state.counter = static_cast<std::uint16_t>(random & 0x7ff);
    random = state.rng();
  }
  const auto ms = static_cast<std::uint64_t>(state.last_ms);
  uuid id;
  for (int i = 0; i < 6; ++i)
    id.bytes[static_cast<size_t>(i)] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  id.bytes[6] = static_cast<std::uint8_t>(0x70 | (state.counter >> 8));
  id.bytes[7] = static_cast<std::uint8_t>(state.counter & 0xff);
  for (size_t i = 8; i < 16; ++i) id.bytes[i] = static_cast<std::uint8_t>(random >> (8 * (i - 8)));
  id.bytes[8] = static_cast<std::uint8_t>(0x80 | (id.bytes[8] & 0x3f));  // variant 10xx
  return id;
}

uuid make_uuid_v5(const uuid& ns, std::string_view name) {
  // One-shot SHA1() (the SHA1_Init family is deprecated in OpenSSL 3); names are short.
  std::string input(reinterpret_cast<const char*>(ns.bytes.data()), ns.bytes.size());
  input.append(name);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  uuid id;
  for (size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = digest[i];
  id.bytes[6] = static_cast<std::uint8_t>(0x50 | (id.bytes[6] & 0x0f));
  id.bytes[8] = static_cast<std::uint8_t>(0x80 | (id.bytes[8] & 0x3f));
  return id;
}

uuid make_uuid_v4() {
  uuid id;
  std::size_t filled = 0;
  while (filled < id.bytes.size()) {
    const ssize_t n = getrandom(id.bytes.data() + filled, id.bytes.size() - filled, 0);
    if (n > 0) {
      filled += static_cast<std::size_t>(n);
    } else if (errno != EINTR) {
      // No OS entropy (a kernel before 3.17): the seeded generator is the best there is.
      thread_local std::mt19937_64 rng{os_random_seed()};
      for (auto& b : id.bytes) b = static_cast<std::uint8_t>(rng());
      break;
    }
  }
  id.bytes[6] = static_cast<std::uint8_t>(0x40 | (id.bytes[6] & 0x0f));
  id.bytes[8] = static_cast<std::uint8_t>(0x80 | (id.bytes[8] & 0x3f));
  return id;
}

keyed_uuid_hash::keyed_uuid_hash() {
  const uuid random = make_uuid_v4();
  std::memcpy(&low_, random.bytes.data(), sizeof low_);
  std::memcpy(&high_, random.bytes.data() + 8, sizeof high_);
}

std::size_t keyed_uuid_hash::operator()(const uuid& id) const noexcept {
  std::uint64_t low = 0, high = 0;
  std::memcpy(&low, id.bytes.data(), sizeof low);
  std::memcpy(&high, id.bytes.data() + 8, sizeof high);
  // Every input bit reaches every output bit (MurmurHash3's 64-bit finalizer after each half):
  // an open-addressing table takes the low bits, and a multiply alone carries bits only upward,
  // so ids that differ in their last bytes (v7's random tail) would share a slot.
  const auto fmix = [](std::uint64_t x) {
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDULL;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ULL;
    return x ^ (x >> 33);
  };
  return static_cast<std::size_t>(fmix(fmix(low ^ low_) ^ (high ^ high_)));
}

}  // namespace clicktrail::base
