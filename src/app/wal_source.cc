#include "app/wal_source.h"

#include <fmt/format.h>

#include "base/log.h"

namespace clicktrail::app {
namespace {

class wal_record final : public sink::source_record {
 public:
  explicit wal_record(wal::stored_record r) : r_(std::move(r)) {}
  std::int32_t partition() const override { return 0; }
  std::int64_t offset() const override { return r_.offset; }
  std::optional<std::string_view> value() const override { return std::string_view(r_.value); }
  std::int64_t timestamp_ms() const override { return r_.timestamp_ms; }

 private:
  wal::stored_record r_;
};

}  // namespace

base::result<std::vector<std::unique_ptr<sink::source_record>>> wal_source::poll(
    std::size_t max, std::chrono::milliseconds timeout) {
  std::vector<std::unique_ptr<sink::source_record>> out;
  if (!position_) {
    auto committed = offsets_.load();
    if (!committed) return std::move(committed).err();
    if (*committed && **committed > log_.end_offset()) {
      // The log opens continuing from the committed offset (wal::log_options::continue_from), so
      // this means the offset file belongs to another log directory.
      return base::error::fail(
          fmt::format("{} says {} was written up to offset {}, but the embedded log {} ends at {}: the "
                      "offset file belongs "
                      "with another log directory (wal.dir). Put the matching offset file back, or move both "
                      "aside to start "
                      "a new log",
                      offsets_.path(), name_, **committed, log_.name(), log_.end_offset()));
    }
    position_ = committed->value_or(log_.start_offset());
    if (listener_ != nullptr) {
      const auto starts = listener_->on_assigned({{0, *committed}});
      if (const auto it = starts.find(0); it != starts.end()) position_ = it->second;
    }
    return out;
  }
  auto records = log_.read(*position_, max, timeout);
  if (!records) return std::move(records).err();
  out.reserve(records->size());
  for (auto& r : *records) out.push_back(std::make_unique<wal_record>(std::move(r)));
  if (!out.empty()) position_ = out.back()->offset() + 1;
  return out;
}

base::status wal_source::commit(std::int32_t, std::int64_t offset) {
  if (auto s = offsets_.store(offset); !s) return s;
  // What is committed may go; a failure to delete costs disk, not data, so it is only logged.
  if (auto s = log_.release(offset); !s) {
    base::logger_for("wal").warn("log={} could not remove consumed segments error=\"{}\"", log_.name(),
                                 s.err().message);
  }
  return {};
}

}  // namespace clicktrail::app
