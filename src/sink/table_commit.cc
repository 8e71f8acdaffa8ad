// The sink's commits to an Iceberg table (sink.table = "iceberg"; docs/iceberg.md): the table is
// the events' commit record, and the intent follows it. Part of sink.cc's class, apart because it
// is a whole idea of its own.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/log.h"
#include "sink/sink.h"
#include "table/kafka_offsets.h"

namespace clicktrail::sink {
namespace {

spdlog::logger& sink_log() {
  return base::logger_for("sink");
}

}  // namespace

// Iceberg: the intent commits what the table holds of the partition's events and the writer has
// written of the rest (its commit point): never past the table, and never past bad rows that are
// written again after a crash between the table's commit and the intent's.
std::optional<std::int64_t> sink::intent_follows_table(const partition_writer& writer,
                                                       std::optional<std::int64_t> commit_point) {
  const auto held = writer.table_offset();
  if (!commit_point || !held) return std::nullopt;
  const std::int64_t to = std::min(*commit_point, *held);
  return to > writer.committed() ? std::optional(to) : std::nullopt;
}

base::status sink::commit_to_table(const std::map<std::int32_t, std::int64_t>& ready) {
  struct move {
    std::optional<std::int64_t> from;  // what the table must still say for the partition
    std::int64_t to = 0;
  };
  std::map<std::int32_t, move> moves;
  std::vector<clicktrail::table::data_file> files;
  for (const auto& [p, offset] : ready) {
    const partition_writer& writer = *partitions_.at(p);
    if (offset <= writer.table_offset().value_or(0)) continue;
    moves[p] = {writer.table_offset(), offset};
    for (const auto& f : writer.table_files_below(offset)) {
      files.push_back({.path = table_->uri_of(f.key),
                       .size = f.bytes,
                       .records = f.records,
                       .partition = f.table_partition,
                       .columns = clicktrail::table::metrics_of(f.columns)});
    }
  }
  if (moves.empty()) return {};
  // On the version the commit builds on (again at each lost race): the offsets it carries over,
  // ours moved, unless another writer moved one of ours first.
  std::vector<std::int32_t> lost;
  const auto offsets_on_top = [&](const clicktrail::table::table_metadata* current)
      -> base::result<std::map<std::string, std::string>> {
    auto offsets = clicktrail::table::kafka_offsets_of(current);
    if (!offsets) return std::move(offsets).err();
    lost.clear();
    for (const auto& [p, m] : moves) {
      if (offsets->of(source_.name(), p) != m.from) lost.push_back(p);
      offsets->set(source_.name(), p, m.to);
    }
    if (!lost.empty()) {
      return base::error::conflict(
          fmt::format("another writer committed partition(s) {} of {} to the table {}", fmt::join(lost, ","),
                      source_.name(), table_->uri_of("")));
    }
    return std::map<std::string, std::string>{
        {std::string(clicktrail::table::kafka_offsets_key), offsets->to_json()}};
  };
  auto made = table_->append(files, {}, offsets_on_top);
  if (!made) {
    if (!made.err().conflicting()) {
      // Not refused: the store or the catalog may have taken the commit and lost its answer.
      // Its files must outlive this writer (a revocation would remove them); the next owner
      // finds in the table's offsets whether it happened, and goes on from there.
      for (const auto& [p, m] : moves) partitions_.at(p)->table_commit_unknown(m.to);
      return std::move(made).err();
    }
    // Those partitions are another owner's now (or were, while this sink stalled): dropped, and
    // taken back from the table's offset if the group says they are still ours. The others
    // commit at the next turn.
    for (const auto p : lost) {
      if (auto s = settle(p, base::status(made.err())); !s) return s;
    }
    return {};
  }
  for (const auto& [p, m] : moves) partitions_.at(p)->table_committed(m.to);
  probe_.table_commits.inc();
  if (glue_) {
    // The table has committed: Glue only points Athena at it, and a failure here loses nothing
    // (the next commit points it at its own, later version).
    if (auto s = glue_->publish(table_->location(), table_->version(), table_->metadata_uri()); !s) {
      probe_.glue_failures.inc();
      sink_log().warn("{}", s.err().message);
    }
  }
  return {};
}

base::result<std::optional<std::int64_t>> sink::table_offset_of(std::int32_t p) {
  if (auto s = table_->refresh(); !s) return std::move(s).err();
  if (const auto* current = table_->current(); current && !(current->partition == *options_.iceberg)) {
    return base::error::fail(
        fmt::format("the table {} is partitioned by {}, and sink.layout asks for {}: give the sink a layout "
                    "that matches (%H for hours), or another sink.output",
                    table_->uri_of(""), current->partition.field_name(), options_.iceberg->field_name()));
  }
  auto offsets = clicktrail::table::kafka_offsets_of(table_->current());
  if (!offsets) return std::move(offsets).err();
  return offsets->of(source_.name(), p);
}

// Commits `offset` to the source for partition p. A coordinator that moved, a rebalance under
// way: it is told again after a backoff (a commit to an unreachable coordinator blocks, and the
// loop must go on polling); only a fatal error stops the sink.

}  // namespace clicktrail::sink
