#include "table/store_catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace clicktrail::table {
namespace {

constexpr std::string_view hint_key = "metadata/version-hint.text";

std::string metadata_key(std::int64_t version) {
  return fmt::format("metadata/v{}.metadata.json", version);
}

// "3", "v3" or "v3.metadata.json", as pyiceberg accepts them.
std::optional<std::int64_t> version_in(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.starts_with('v')) text.remove_prefix(1);
  if (text.ends_with(".metadata.json")) text.remove_suffix(14);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 1) return std::nullopt;
  return v;
}

}  // namespace

store_catalog::store_catalog(store::object_store& store, std::string location)
    : store_(store), location_(std::move(location)) {
  while (location_.ends_with('/')) location_.pop_back();
}

std::vector<std::string> store_catalog::own_keys() const {
  return {std::string(hint_key)};
}

base::result<std::optional<table_version>> store_catalog::load() {
  std::int64_t version = 0;
  auto hint = store_.get(hint_key);
  if (!hint) return std::move(hint).err();
  if (*hint) {
    if (const auto v = version_in(**hint)) version = *v;
  }
  if (version == 0) {
    // No usable hint: the highest v<N> there is.
    auto listed = store_.list("metadata/v");
    if (!listed) return std::move(listed).err();
    for (const auto& o : *listed) {
      if (const auto v = version_in(std::string_view(o.key).substr(std::string_view("metadata/").size())))
        version = std::max(version, *v);
    }
  }
  // A hint may trail: commits write it after the version.
  for (;;) {
    auto next = store_.head(metadata_key(version + 1));
    if (!next) return std::move(next).err();
    if (!*next) break;
    ++version;
  }
  if (version == 0) return std::optional<table_version>();
  const std::string uri = fmt::format("{}/{}", location_, metadata_key(version));
  auto text = store_.get(metadata_key(version));
  if (!text) return std::move(text).err();
  if (!*text) return base::error::fail(fmt::format("{} disappeared while it was read", uri));
  auto parsed = parse_table_metadata(**text);
  if (!parsed) return base::error::reject(fmt::format("{}: {}", uri, parsed.err().message));
  return std::optional(table_version{.metadata = std::move(parsed).value(), .uri = uri, .number = version});
}

base::result<std::optional<table_version>> store_catalog::commit(const table_version* current,
                                                                 const table_metadata& next) {
  const std::int64_t version = current ? current->number + 1 : 1;
  auto won = store_.put_if(metadata_key(version), to_json(next), std::nullopt);
  if (!won) return std::move(won).err();
  if (!*won) return std::optional<table_version>();
  // The hint only speeds up finding the newest version (load() looks past it), so a failure to
  // write it costs nothing.
  (void)store_.put(hint_key, std::to_string(version));
  return std::optional(table_version{
      .metadata = next, .uri = fmt::format("{}/{}", location_, metadata_key(version)), .number = version});
}

}  // namespace clicktrail::table
