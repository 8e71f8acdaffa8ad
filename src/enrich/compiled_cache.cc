#include "enrich/compiled_cache.h"

#include <hs/hs.h>
#include <unistd.h>
#include <xxhash.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <system_error>

#include "base/log.h"
#include "base/version.h"

namespace clicktrail::enrich {
namespace {

namespace fs = std::filesystem;

// A file is this line, the hash of the entry's bytes, then those bytes.
constexpr std::string_view magic = "clicktrail compiled rules 2\n";
constexpr std::string_view vectorscan_kind = "vectorscan";
constexpr std::size_t digest_bytes = 16;

using digest = std::array<unsigned char, digest_bytes>;

// XXH3's 128 bits, not a cryptographic hash: the directory is trusted (above), so the digests
// only have to tell inputs apart and catch a file cut short or damaged, and SHA-256 over the
// rule file and the databases was a fifth of a start from the cache.
digest hash_of(std::string_view bytes) {
  const XXH128_canonical_t canonical = [&] {
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits(bytes.data(), bytes.size()));
    return c;
  }();
  digest out{};
  std::memcpy(out.data(), canonical.digest, digest_bytes);
  return out;
}

std::string_view as_chars(const digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};  // NOLINT: bytes as chars
}

// What else decides an entry besides the caller's inputs: this program's version, the library
// and the machine.
std::string machine_part() {
  std::string out = std::string(base::version) + "\n" + hs_version();
  hs_platform_info_t platform{};
  if (hs_populate_platform(&platform) == HS_SUCCESS) {
    out.append(reinterpret_cast<const char*>(&platform), sizeof platform);  // NOLINT: its bytes
  }
  return out;
}

}  // namespace

void compiled_cache::add_expression(std::string& inputs, unsigned id, unsigned flags, std::string_view text) {
  const std::array<std::uint64_t, 3> head{id, flags, text.size()};
  inputs.append(reinterpret_cast<const char*>(head.data()), sizeof head);  // NOLINT: its bytes
  inputs.append(text);
}

fs::path compiled_cache::dir_for(std::string_view setting) {
  if (setting == "off") return {};
  if (!setting.empty()) return fs::path(setting);
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
    return fs::path(xdg) / "clicktrail";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/') {
    return fs::path(home) / ".cache" / "clicktrail";
  }
  return {};
}

fs::path compiled_cache::file_for(std::string_view kind, std::string_view inputs) const {
  static const std::string machine = machine_part();
  std::string key = machine;
  key.append(inputs);
  static constexpr char hex[] = "0123456789abcdef";
  std::string name = std::string(kind) + "-";
  for (const unsigned char b : hash_of(key)) {
    name.push_back(hex[b >> 4]);
    name.push_back(hex[b & 0xf]);
  }
  return dir_ / (name + ".db");
}

hs_database* compiled_cache::load(std::string_view inputs) const {
  const auto bytes = load_bytes(vectorscan_kind, inputs);
  if (!bytes) return nullptr;
  hs_database_t* db = nullptr;
  if (hs_deserialize_database(bytes->data(), bytes->size(), &db) != HS_SUCCESS) return nullptr;
  return db;
}

void compiled_cache::store(std::string_view inputs, const hs_database* db) const {
  if (dir_.empty() || db == nullptr) return;
  char* bytes = nullptr;
  std::size_t length = 0;
  if (hs_serialize_database(db, &bytes, &length) != HS_SUCCESS) return;
  store_bytes(vectorscan_kind, inputs, std::string_view(bytes, length));
  std::free(bytes);  // NOLINT: Vectorscan allocates it with malloc
}

std::optional<std::string> compiled_cache::load_bytes(std::string_view kind, std::string_view inputs) const {
  if (dir_.empty()) return std::nullopt;
  std::ifstream in(file_for(kind, inputs), std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;  // not cached yet
  // Read whole, in one call: through istreambuf_iterator, a character at a time, the files took
  // 19 M instructions, a quarter of the sink's start.
  const std::streamoff size = in.tellg();
  if (size < 0) return std::nullopt;
  std::string file(static_cast<std::size_t>(size), '\0');
  if (!in.seekg(0) || !in.read(file.data(), size)) return std::nullopt;
  if (file.size() < magic.size() + digest_bytes || !file.starts_with(magic)) return std::nullopt;
  const std::string_view bytes = std::string_view(file).substr(magic.size() + digest_bytes);
  if (std::string_view(file).substr(magic.size(), digest_bytes) != as_chars(hash_of(bytes)))
    return std::nullopt;
  file.erase(0, magic.size() + digest_bytes);
  return file;
}

void compiled_cache::store_bytes(std::string_view kind, std::string_view inputs,
                                 std::string_view bytes) const {
  if (dir_.empty()) return;
  std::string file(magic);
  file.append(as_chars(hash_of(bytes)));
  file.append(bytes);

  std::error_code ec;
  // Owner-only when made here; a directory the operator made keeps the permissions they gave it.
  if (fs::create_directories(dir_, ec))
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
  const fs::path target = file_for(kind, inputs);
  fs::path temporary = target;
  temporary += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
  bool written = false;
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    written = static_cast<bool>(out.write(file.data(), static_cast<std::streamsize>(file.size())).flush());
  }
  if (written) fs::rename(temporary, target, ec);
  if (!written || ec) {
    fs::remove(temporary, ec);
    base::logger_for("enrich").debug("compiled rules not cached dir=\"{}\"", dir_.string());
  }
}

}  // namespace clicktrail::enrich
