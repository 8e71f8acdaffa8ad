#include "table/compaction.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <unordered_set>

#include "base/uuid.h"
#include "event/encode.h"
#include "format/file_writer.h"
#include "format/parquet/event_reader.h"

namespace clicktrail::table {

std::vector<partition_plan> plan_compaction(const std::vector<manifest_entry>& live, const partitioning& p,
                                            std::int64_t now_ms, const compaction_options& o) {
  std::map<std::int32_t, partition_plan> by_partition;
  for (const manifest_entry& e : live) {
    partition_plan& plan = by_partition[e.file.partition];
    plan.partition = e.file.partition;
    plan.files.push_back(e);
    plan.bytes += e.file.size;
    plan.records += e.file.records;
  }
  std::vector<partition_plan> out;
  for (auto& [value, plan] : by_partition) {
    if (p.end_of(value) + o.settle_ms > now_ms) continue;  // still open
    const auto needed = static_cast<std::size_t>((plan.bytes + o.target_bytes - 1) / o.target_bytes);
    if (plan.files.size() < 2 || plan.files.size() <= needed) continue;
    std::sort(plan.files.begin(), plan.files.end(), [](const manifest_entry& a, const manifest_entry& b) {
      return std::pair(a.sequence_number.value_or(0), a.file.path) <
             std::pair(b.sequence_number.value_or(0), b.file.path);
    });
    out.push_back(std::move(plan));
  }
  return out;
}

namespace {

// The partition's new files, written one after another, each closed at the target size.
class rewriter {
 public:
  rewriter(store::object_store& store, const iceberg_table& table, const partitioning& p,
           const partition_plan& plan, const compaction_options& o)
      : store_(store), table_(table), partitioning_(p), plan_(plan), options_(o) {
    writer_options_.codec = o.codec;
    writer_options_.compression_level = o.compression_level;
    writer_options_.times = format::time_unit::micros;
  }
  // Removes what was uploaded unless it was committed.
  ~rewriter() {
    if (current_) current_->upload->abort();
    if (!keep_)
      for (const data_file& f : done_) (void)store_.remove(f.path.substr(table_.uri_of("").size()));
  }

  base::status append(const event::event& e) {
    if (!current_) {
      if (auto s = open(); !s) return s;
    }
    canonical_.clear();
    event::encode(e, canonical_);
    if (auto s = current_->writer->append(e, canonical_); !s) return s;
    if (current_->writer->encoded_bytes() >= options_.target_bytes) return close();
    return {};
  }

  base::status close() {
    if (!current_) return {};
    auto& f = *current_;
    if (auto s = f.writer->finish({{"clicktrail.iceberg_table", table_.uri_of("")},
                                   {"clicktrail.compacted_from", std::to_string(plan_.files.size())}});
        !s)
      return s;
    if (auto s = f.upload->commit(); !s) return s;
    done_.push_back({.path = table_.uri_of(f.key),
                     .size = f.upload->bytes_written(),
                     .records = f.writer->records(),
                     .partition = plan_.partition,
                     .columns = metrics_of(f.writer->column_summaries())});
    current_.reset();
    return {};
  }

  const std::vector<data_file>& files() const { return done_; }
  void keep() { keep_ = true; }

 private:
  struct open_file {
    std::string key;
    std::unique_ptr<store::upload> upload;
    std::unique_ptr<format::file_writer> writer;
  };

  base::status open() {
    open_file f;
    f.key = fmt::format("data/{}/compacted-{}.parquet", partitioning_.directory(plan_.partition),
                        base::make_uuid_v7().to_string());
    auto upload = store_.begin_upload(f.key);
    if (!upload) return std::move(upload).err();
    f.upload = std::move(upload).value();
    store::upload* u = f.upload.get();
    f.writer = format::make_writer(writer_options_, [u](std::string_view bytes) { return u->write(bytes); });
    current_ = std::move(f);
    return {};
  }

  store::object_store& store_;
  const iceberg_table& table_;
  const partitioning& partitioning_;
  const partition_plan& plan_;
  const compaction_options& options_;
  format::writer_options writer_options_;
  std::optional<open_file> current_;
  std::vector<data_file> done_;
  std::string canonical_;
  bool keep_ = false;
};

}  // namespace

base::result<partition_outcome> compact_partition(store::object_store& store, iceberg_table& table,
                                                  const partition_plan& plan, const compaction_options& o) {
  if (table.current() == nullptr) return base::error::fail("compaction of a table that has no version");
  const partitioning p = table.current()->partition;
  if (plan.records > o.max_events) {
    return base::error::reject(fmt::format(
        "{}: partition {} holds {} events, more than the {} whose ids compaction keeps in memory to drop "
        "repeats; raise --max-events if the memory (about 50 bytes an event) is there",
        table.uri_of(""), p.directory(plan.partition), plan.records, o.max_events));
  }
  partition_outcome outcome;
  std::unordered_set<base::uuid, base::keyed_uuid_hash> seen;
  seen.reserve(static_cast<std::size_t>(plan.records));
  rewriter out(store, table, p, plan, o);
  for (const manifest_entry& input : plan.files) {
    auto key = table.key_of(input.file.path);
    if (!key) return std::move(key).err();
    auto bytes = store.get(*key);
    if (!bytes) return std::move(bytes).err();
    if (!*bytes) {
      return base::error::fail(
          fmt::format("{} is in the table but missing from the store: the table is damaged; "
                      "nothing was compacted",
                      input.file.path));
    }
    auto reader = format::parquet::event_reader::open(std::move(**bytes), input.file.path);
    if (!reader) return std::move(reader).err();
    ++outcome.files_in;
    auto read = reader->for_each([&](const event::event& e) -> base::status {
      ++outcome.records_in;
      const std::int64_t at = p.source == "event_ts" ? e.event_ts : e.collector_ts;
      if (p.value_of(at) != plan.partition) {
        return base::error::reject(fmt::format("{}: event {} belongs in partition {}, not in the file's {}",
                                               input.file.path, e.event_id, p.directory(p.value_of(at)),
                                               p.directory(plan.partition)));
      }
      // An id that is not a UUID (another writer's rows) is never taken for a repeat.
      if (const auto id = base::parse_uuid(e.event_id); id && !seen.insert(*id).second) {
        ++outcome.repeats;
        return {};
      }
      ++outcome.records_out;
      return out.append(e);
    });
    if (!read) return std::move(read).err();
  }
  if (auto s = out.close(); !s) return std::move(s).err();
  std::vector<data_file> removed;
  for (const manifest_entry& e : plan.files) removed.push_back(e.file);
  auto made = table.commit({.added = out.files(), .removed = removed},
                           {{"clicktrail.compacted-partition", p.directory(plan.partition)},
                            {"clicktrail.repeats-removed", std::to_string(outcome.repeats)}});
  if (!made) return std::move(made).err();
  out.keep();
  outcome.files_out = static_cast<std::int64_t>(out.files().size());
  return outcome;
}

base::result<table_outcome> compact_table(store::object_store& store, iceberg_table& table,
                                          std::int64_t now_ms, const compaction_options& o,
                                          const partition_report& report) {
  table_outcome outcome;
  if (table.current() == nullptr) return outcome;  // no table yet: nothing to compact
  auto live = table.live_files();
  if (!live) return std::move(live).err();
  const partitioning p = table.current()->partition;  // a copy: each commit replaces current()
  for (const partition_plan& plan : plan_compaction(*live, p, now_ms, o)) {
    auto done = compact_partition(store, table, plan, o);
    if (!done) {
      ++outcome.failed;
    } else {
      ++outcome.compacted;
      outcome.total.files_in += done->files_in;
      outcome.total.files_out += done->files_out;
      outcome.total.records_in += done->records_in;
      outcome.total.records_out += done->records_out;
      outcome.total.repeats += done->repeats;
    }
    if (!report(p.directory(plan.partition), done)) break;
  }
  return outcome;
}

}  // namespace clicktrail::table
