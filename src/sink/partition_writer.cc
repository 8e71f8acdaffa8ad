#include "sink/partition_writer.h"

#include <fmt/format.h>

#include "base/log.h"
#include "base/uuid.h"
#include "sink/intent.h"

namespace clicktrail::sink {
namespace {

// The bad table is JSON Lines whatever the events' format: its rows are reasons and raw bytes.
constexpr auto bad_format = config::output_format::jsonl;
constexpr auto bad_codec = config::compression::gzip;

}  // namespace

partition_writer::partition_writer(std::int32_t partition, partition_claim claim,
                                   std::optional<std::int64_t> source_committed,
                                   std::optional<std::int64_t> table_offset, std::string source_name,
                                   const sink_options& options, store::object_store& store, probe& metrics)
    : partition_(partition),
      claim_(std::move(claim)),
      committed_(claim_.resume_at()),
      mirrored_(source_committed.value_or(0)),
      source_has_offset_(source_committed.has_value()),
      table_offset_(table_offset),
      next_offset_(claim_.resume_at()),
      source_name_(std::move(source_name)),
      options_(options),
      store_(store),
      probe_(metrics),
      lag_(metrics.lag(source_name_, partition)),
      recent_(options.dedup_window) {}

base::status partition_writer::skip(std::int64_t offset) {
  if (auto s = check_order(offset); !s) return s;
  if (!first_read_) first_read_ = offset;
  next_offset_ = offset + 1;
  return {};
}

base::status partition_writer::check_order(std::int64_t offset) const {
  if (offset >= next_offset_) return {};
  return base::error::fail(fmt::format(
      "partition {} of {} went back from offset {} to {} while the sink read it: the topic was "
      "deleted and created again, or its offsets were reset. Nothing from offset {} on was written; "
      "start the sink again, and it will say how to go on",
      partition_, source_name_, next_offset_ - 1, offset, offset));
}

base::status partition_writer::append(const routed_record& r) {
  if (auto s = check_order(r.offset); !s) return s;
  // Read again after a crash between the table's commit and the intent's: in the table already.
  if (r.to == table::events && r.offset < table_offset_.value_or(0)) return skip(r.offset);
  auto file = open_for(r);
  if (!file) return std::move(file).err();
  open_file& f = **file;
  if (auto s = f.writer->append(r.e, r.text()); !s) return s;
  f.last = r.offset;
  if (!first_read_) first_read_ = r.offset;
  next_offset_ = r.offset + 1;
  probe_.records_in.inc();
  if (f.writer->records() >= options_.max_records || f.writer->encoded_bytes() >= options_.max_bytes) {
    return close(open_.find({r.to, r.time_partition}));
  }
  return {};
}

base::result<partition_writer::open_file*> partition_writer::open_for(const routed_record& r) {
  if (last_file_ != nullptr && last_id_.first == r.to && last_id_.second == r.time_partition)
    return last_file_;
  file_id id{r.to, r.time_partition};
  if (auto it = open_.find(id); it != open_.end()) return remember(std::move(id), it->second);

  const bool events = r.to == table::events;
  const auto fmt = events ? options_.format : bad_format;
  const auto codec = events ? options_.codec : bad_codec;
  open_file f;
  if (events && options_.iceberg) {
    // Named by a UUID, not the claim's generation: no recovery retires a table's data file (a
    // stalled owner may still commit it), and a file no snapshot lists is an orphan for `clicktrail
    // iceberg cleanup`.
    const auto& p = *options_.iceberg;
    f.in_table = true;
    f.table_partition =
        p.value_of(options_.partition_by == config::time_source::event_ts ? r.e.event_ts : r.e.collector_ts);
    f.key = fmt::format("data/{}/{}+{}+{:020}-{}.parquet", p.directory(f.table_partition), source_name_,
                        partition_, r.offset, base::make_uuid_v7().to_string());
  } else {
    f.key = file_key(to_string(r.to), r.time_partition, source_name_, partition_, r.offset,
                     claim_.generation(), format::file_extension(fmt, codec));
  }
  f.start = f.last = r.offset;
  f.opened = base::steady::now();
  // The upload exists before the intent names it: a directory's upload is a temporary file that
  // the next owner's recovery must find to retire it (object_store::retire).
  auto upload = store_.begin_upload(f.key);
  if (!upload) return std::move(upload).err();
  f.upload = std::move(upload).value();
  auto& inserted = open_.emplace(id, std::move(f)).first->second;
  // The intent names the file before any of its bytes can reach the store (a table's data file:
  // the table names it, when it commits it).
  if (auto s = inserted.in_table ? base::status{} : write_intent(); !s) {
    open_.erase(id);  // destroying the upload aborts it
    return std::move(s).err();
  }
  store::upload* target = inserted.upload.get();
  format::writer_options wo{.format = fmt,
                            .codec = codec,
                            .compression_level = events ? options_.compression_level : 0,
                            .row_group_rows = options_.row_group_rows,
                            .row_group_bytes = options_.row_group_bytes};
  if (inserted.in_table) wo.times = format::time_unit::micros;  // Iceberg's timestamptz
  inserted.writer =
      format::make_writer(wo, [target](std::string_view bytes) { return target->write(bytes); });
  probe_.open_files.add(1);
  return remember(std::move(id), inserted);
}

base::status partition_writer::close(std::map<file_id, open_file>::iterator it) {
  last_file_ = nullptr;  // the file may go: no record finds it here again
  open_file& f = it->second;
  const auto started = base::steady::now();
  auto s = f.writer->finish({{"clicktrail.topic", source_name_},
                             {"clicktrail.partition", std::to_string(partition_)},
                             {"clicktrail.first_offset", std::to_string(f.start)},
                             {"clicktrail.last_offset", std::to_string(f.last)}});
  if (s) s = f.upload->commit();
  probe_.open_files.add(-1);
  if (!s) {
    base::error failed{s.err().what, fmt::format("could not complete {}: {}", f.key, s.err().message)};
    open_.erase(it);  // destroying the upload aborts it
    return failed;
  }
  probe_.files_written.inc();
  probe_.bytes_written.inc(static_cast<std::uint64_t>(f.upload->bytes_written()));
  probe_.records_out.inc(static_cast<std::uint64_t>(f.writer->records()));
  probe_.upload_seconds.observe(std::chrono::duration<double>(base::steady::now() - started).count());
  uncommitted_.push_back(
      {.key = f.key,
       .start = f.start,
       .end = f.last,
       .in_table = f.in_table,
       .records = f.writer->records(),
       .bytes = f.upload->bytes_written(),
       .table_partition = f.table_partition,
       .columns = f.in_table ? f.writer->column_summaries() : std::vector<format::column_summary>{}});
  open_.erase(it);
  return {};
}

base::status partition_writer::close_due(base::steady::time_point now, bool everything) {
  for (auto it = open_.begin(); it != open_.end();) {
    auto next = std::next(it);
    if (everything || now - it->second.opened >= options_.max_age) {
      if (auto s = close(it); !s) return s;
    }
    it = next;
  }
  return {};
}

std::optional<base::steady::time_point> partition_writer::oldest_open() const {
  std::optional<base::steady::time_point> oldest;
  for (const auto& [id, f] : open_) {
    if (!oldest || f.opened < *oldest) oldest = f.opened;
  }
  return oldest;
}

base::status partition_writer::close_oldest() {
  auto oldest = open_.end();
  for (auto it = open_.begin(); it != open_.end(); ++it) {
    if (oldest == open_.end() || it->second.opened < oldest->second.opened) oldest = it;
  }
  return oldest == open_.end() ? base::status{} : close(oldest);
}

std::int64_t partition_writer::buffered_bytes() const {
  std::int64_t sum = 0;
  for (const auto& [id, f] : open_) sum += buffered(f);
  return sum;
}

std::int64_t partition_writer::fullest_buffer() const {
  std::int64_t most = 0;
  for (const auto& [id, f] : open_) most = std::max(most, buffered(f));
  return most;
}

base::status partition_writer::close_fullest() {
  auto fullest = open_.end();
  for (auto it = open_.begin(); it != open_.end(); ++it) {
    if (fullest == open_.end() || buffered(it->second) > buffered(fullest->second)) fullest = it;
  }
  return fullest == open_.end() ? base::status{} : close(fullest);
}

std::optional<std::int64_t> partition_writer::commit_point() const {
  std::vector<std::int64_t> starts;
  for (const auto& [id, f] : open_) starts.push_back(f.start);
  const auto c = safe_commit_offset(starts, uncommitted_, next_offset_);
  if (c > committed_) return c;
  return std::nullopt;
}

base::status partition_writer::commit(std::int64_t offset) {
  std::vector<closed_file> still = uncommitted_;
  std::erase_if(still, [offset](const closed_file& f) { return f.start < offset && !f.in_table; });
  if (auto s = claim_.record(intent_keys(still), offset); !s) return s;
  committed_ = offset;
  uncommitted_ = std::move(still);
  return {};
}

std::vector<closed_file> partition_writer::table_files_below(std::int64_t offset) const {
  std::vector<closed_file> out;
  for (const auto& f : uncommitted_) {
    if (f.in_table && f.start < offset) out.push_back(f);
  }
  return out;
}

void partition_writer::table_committed(std::int64_t offset) {
  std::erase_if(uncommitted_, [offset](const closed_file& f) { return f.in_table && f.start < offset; });
  table_offset_ = offset;
}

std::vector<std::string> partition_writer::intent_keys(const std::vector<closed_file>& closed) const {
  std::vector<std::string> keys;
  for (const auto& [id, f] : open_) {
    if (!f.in_table) keys.push_back(f.key);
  }
  for (const auto& f : closed) {
    if (!f.in_table) keys.push_back(f.key);
  }
  return keys;
}

base::status partition_writer::write_intent() {
  return claim_.record(intent_keys(uncommitted_), committed_);
}

void partition_writer::release() {
  probe_.open_files.add(-static_cast<std::int64_t>(open_.size()));
  last_file_ = nullptr;
  open_.clear();  // aborts the uploads: none of them can publish after this
  // Complete files not covered by a commit (a file that straddled the commit point) would be
  // replayed by the next owner: remove them now, while they are ours alone — their keys carry our
  // generation, so nothing else is ever written there.
  for (const auto& f : uncommitted_) {
    if (f.in_table && f.start < table_maybe_below_) continue;  // perhaps the table's: left
    if (auto s = store_.remove(f.key); !s) {
      base::logger_for("sink").info(
          "could not remove an uncommitted file on revocation; the next owner retires it "
          "partition={} key={} error={}",
          partition_, f.key, s.err().message);
      return;  // it stays listed
    }
  }
  uncommitted_.clear();
  if (auto s = write_intent(); !s) {
    base::logger_for("sink").info(
        "could not take the aborted files off the intent on revocation; the next owner retires them "
        "partition={} "
        "error={}",
        partition_, s.err().message);
  }
}

}  // namespace clicktrail::sink
