#include "wal/offset_file.h"

#include <fmt/format.h>

#include <charconv>

#include "base/posix_io.h"

namespace clicktrail::wal {

base::result<std::optional<std::int64_t>> offset_file::load() const {
  auto in = files_.open(path_, open_mode::read_if_exists);
  if (!in) return std::move(in).err();
  if (*in == nullptr) return std::optional<std::int64_t>();
  auto text = (*in)->read_at(0, 64);
  if (!text) return std::move(text).err();
  const char* begin = text->data();
  const char* end_of_text = begin + text->size();
  std::int64_t v = -1;
  const auto [end, ec] = std::from_chars(begin, end_of_text, v);
  if (ec != std::errc() || v < 0 || end == begin || (end != end_of_text && *end != '\n')) {
    return base::error::fail(
        fmt::format("{} does not hold an offset; it should be one number, e.g. 1234. Delete it to "
                    "read the embedded log from its start again (and rewrite what is there)",
                    path_));
  }
  return std::optional<std::int64_t>(v);
}

base::status offset_file::store(std::int64_t offset) const {
  const std::string temp = path_ + ".tmp";
  {
    auto out = files_.open(temp, open_mode::replace);
    if (!out) return std::move(out).err();
    if (auto s = (*out)->append(fmt::format("{}\n", offset)); !s) return s;
    // The bytes before the name: a rename that survives a power cut must not bring an empty file.
    if (auto s = (*out)->sync(); !s) return s;
  }
  if (auto s = files_.rename(temp, path_); !s) return s;
  return files_.sync_dir(base::posix::parent_of(path_));
}

}  // namespace clicktrail::wal
