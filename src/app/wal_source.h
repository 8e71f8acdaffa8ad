#pragma once
// The sink's source on the embedded log: one partition (0), read from the offset in the sink's
// offset file; a commit rewrites that file, then lets the log delete what is consumed.
//
// Lifetime: construct, attach() the listener (the sink); the first poll() tells it of its one
// partition and its committed offset. Used by the sink's thread only.

#include <fmt/format.h>

#include <memory>
#include <string>

#include "sink/source.h"
#include "wal/log.h"
#include "wal/offset_file.h"

namespace clicktrail::app {

class wal_source : public sink::source {
 public:
  // `name` is the topic part of the sink's object keys: "wal", "wal.bad".
  wal_source(wal::log& log, std::string offset_path, std::string name)
      : log_(log), offsets_(std::move(offset_path)), name_(std::move(name)) {}

  void attach(sink::assignment_listener& listener) { listener_ = &listener; }

  base::result<std::vector<std::unique_ptr<sink::source_record>>> poll(
      std::size_t max, std::chrono::milliseconds timeout) override;
  base::status commit(std::int32_t partition, std::int64_t offset) override;
  base::result<std::optional<std::int64_t>> committed(std::int32_t) override { return offsets_.load(); }
  std::string how_to_commit(std::int32_t, std::int64_t) const override {
    return fmt::format("restore the sink's offset file {} (from a backup of wal.dir)", offsets_.path());
  }
  base::status seek(std::int32_t, std::optional<std::int64_t> offset) override {
    position_ = offset.value_or(log_.start_offset());
    return {};
  }
  base::result<std::map<std::int32_t, std::int64_t>> end_offsets(std::chrono::milliseconds) override {
    return std::map<std::int32_t, std::int64_t>{{0, log_.end_offset()}};
  }
  std::optional<std::int64_t> last_seen_end_offset(std::int32_t) const override { return log_.end_offset(); }
  const std::string& name() const override { return name_; }

 private:
  wal::log& log_;
  wal::offset_file offsets_;
  std::string name_;
  sink::assignment_listener* listener_ = nullptr;
  std::optional<std::int64_t> position_;  // next offset to read; set once assigned
};

}  // namespace clicktrail::app
