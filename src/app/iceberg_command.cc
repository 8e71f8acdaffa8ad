// `clicktrail iceberg append --table URL FILE…`: stored events (the sink's JSON Lines output,
// gzip or not) into an Iceberg table at URL (s3://bucket/prefix, file:///dir or a directory),
// created on first use: one Parquet file per time partition and file, then one commit. To load
// older output into a table, and the first user of the table writer the sink will use
// (docs/iceberg.md).
// `clicktrail iceberg cleanup --table URL`: the files no version of the table references.

#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/input_files.h"
#include "app/startup.h"
#include "app/table_store.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "base/uuid.h"
#include "event/decode.h"
#include "event/encode.h"
#include "format/file_writer.h"
#include "sink/sink_options.h"
#include "store/open_store.h"
#include "table/glue_catalog.h"
#include "table/iceberg_table.h"

namespace clicktrail::app {
namespace {

// Partitions written at once; past it the longest-open file is closed (its partition may get
// another file later). Enough for a week of hours in any order: with 16, a day's events in random
// hour order made a file every few events. Each open file holds up to a row group in memory, so
// past max_buffered_bytes in all, the fullest is closed too.
constexpr std::size_t max_open_files = 200;
constexpr std::int64_t max_buffered_bytes = std::int64_t{256} << 20;

struct open_file {
  std::unique_ptr<store::upload> upload;
  std::unique_ptr<format::file_writer> writer;
  std::string key;
  std::uint64_t opened = 0;  // order of opening
};

}  // namespace

std::optional<table_store> open_table_store(const config::load_options& sources, std::string_view command,
                                            base::registry& metrics, int& exit,
                                            const config_refusal& refuse) {
  auto cfg = start_up(sources, command);
  if (!cfg) {
    exit = exit_bad_config;
    return std::nullopt;
  }
  if (const auto why = refuse ? refuse(*cfg) : std::nullopt) {
    fmt::print(stderr, "{}\n", *why);
    exit = exit_bad_config;
    return std::nullopt;
  }
  auto opened = store::open_store(cfg->sink.output, cfg->s3, metrics);
  if (!opened) {
    fmt::print(stderr, "{}\n", opened.err().message);
    exit = exit_failure;
    return std::nullopt;
  }
  return table_store{std::move(*cfg), std::move(opened).value()};
}

bool publish_to_glue(const config::config& cfg, const table::iceberg_table& tbl) {
  if (cfg.sink.glue.database.empty() || tbl.current() == nullptr) return true;
  const auto glue = table::glue_catalog::open({.region = cfg.sink.glue.region,
                                               .endpoint = cfg.sink.glue.endpoint,
                                               .database = cfg.sink.glue.database,
                                               .table = cfg.sink.glue.table});
  if (auto s = glue->publish(tbl.location(), tbl.version(), tbl.metadata_uri()); !s) {
    fmt::print(stderr,
               "{}\nthe table itself is committed; the Glue table is pointed at it at the next commit\n",
               s.err().message);
    return false;
  }
  fmt::print(stderr, "Glue table {} points at version {}\n", glue->name(), tbl.version());
  return true;
}

int iceberg_append(const config::load_options& sources, const iceberg_append_options& o) {
  base::registry metrics;
  int exit = exit_ok;
  auto opened = open_table_store(sources, "iceberg append", metrics, exit);
  if (!opened) return exit;
  const config::config& cfg = opened->cfg;
  store::object_store& store = *opened->store;
  table::partitioning partition;
  partition.source = cfg.sink.partition_by == config::time_source::event_ts ? "event_ts" : "collector_ts";
  partition.by = o.daily ? table::partitioning::transform::day : table::partitioning::transform::hour;
  table::iceberg_table tbl(store, table::location_of(store), partition, {},
                           sink::table_catalog(sink::options_from(cfg.sink).catalog, store));
  if (auto s = tbl.refresh(); !s) {
    fmt::print(stderr, "{}\n", s.err().message);
    return exit_failure;
  }
  if (const auto* current = tbl.current()) partition = current->partition;  // the table's own spec

  format::writer_options writer_options;
  writer_options.codec = cfg.sink.codec;
  writer_options.compression_level = cfg.sink.compression_level;
  writer_options.times = format::time_unit::micros;
  std::map<std::int32_t, open_file> files;
  std::vector<table::data_file> done;
  std::uint64_t opened_count = 0;

  const auto close = [&](std::int32_t value) -> base::status {
    open_file& f = files.at(value);
    if (auto s = f.writer->finish({{"clicktrail.iceberg_table", tbl.uri_of("")}}); !s) return s;
    if (auto s = f.upload->commit(); !s) return s;
    done.push_back({.path = tbl.uri_of(f.key),
                    .size = f.upload->bytes_written(),
                    .records = f.writer->records(),
                    .partition = value,
                    .columns = table::metrics_of(f.writer->column_summaries())});
    files.erase(value);
    return {};
  };
  const auto file_for = [&](std::int32_t value) -> base::result<open_file*> {
    if (auto it = files.find(value); it != files.end()) return &it->second;
    if (files.size() >= max_open_files) {
      const auto oldest = std::min_element(files.begin(), files.end(), [](const auto& a, const auto& b) {
        return a.second.opened < b.second.opened;
      });
      if (auto s = close(oldest->first); !s) return std::move(s).err();
    }
    open_file f;
    f.key = fmt::format("data/{}/{}.parquet", partition.directory(value), base::make_uuid_v7().to_string());
    auto upload = store.begin_upload(f.key);
    if (!upload) return std::move(upload).err();
    f.upload = std::move(upload).value();
    store::upload* u = f.upload.get();
    f.writer = format::make_writer(writer_options, [u](std::string_view bytes) { return u->write(bytes); });
    f.opened = ++opened_count;
    return &files.emplace(value, std::move(f)).first->second;
  };

  std::optional<std::string> failure;
  std::int64_t events = 0;
  for (const std::string& input : o.inputs) {
    const gz_file in(gzopen(input.c_str(), "rb"));
    if (!in) {
      failure = fmt::format("cannot read {}", input);
      break;
    }
    std::size_t line_number = 0;
    const bool read = for_each_line(in.get(), [&](std::string_view line) {
      ++line_number;
      if (line.empty()) return true;
      auto e = event::decode_stored(line);
      if (!e) {
        failure = fmt::format("{}:{}: {}", input, line_number, e.err().message);
        return false;
      }
      const std::int64_t at = partition.source == "event_ts" ? e->event_ts : e->collector_ts;
      auto f = file_for(partition.value_of(at));
      if (!f) {
        failure = f.err().message;
        return false;
      }
      if (auto s = (*f)->writer->append(*e, line); !s) {
        failure = s.err().message;
        return false;
      }
      if (++events % 1024 == 0) {
        std::int64_t buffered = 0, most = -1;
        auto fullest = files.end();
        for (auto it = files.begin(); it != files.end(); ++it) {
          const std::int64_t held = it->second.writer->buffered_bytes() + it->second.upload->buffered_bytes();
          buffered += held;
          if (held > most) most = held, fullest = it;
        }
        if (buffered > max_buffered_bytes && fullest != files.end()) {
          if (auto s = close(fullest->first); !s) {
            failure = s.err().message;
            return false;
          }
        }
      }
      return true;
    });
    if (!read && !failure)
      failure = fmt::format("cannot read {}: not gzip or plain text, or truncated", input);
    if (failure) break;
  }
  while (!failure && !files.empty()) {
    if (auto s = close(files.begin()->first); !s) failure = s.err().message;
  }
  if (!failure && !done.empty()) {
    auto made = tbl.append(done, {{"clicktrail.appended-from", fmt::format("{}", fmt::join(o.inputs, " "))}});
    if (!made) failure = made.err().message;
  }
  if (failure) {
    // Files uploaded before the failure are in no snapshot: readers never see them.
    fmt::print(stderr, "{}\nnothing was committed to {}\n", *failure, tbl.uri_of(""));
    return exit_failure;
  }
  fmt::print(stderr, "{}: {} events in {} files, committed as version {}\n", tbl.uri_of(""), events,
             done.size(), tbl.version());
  return publish_to_glue(cfg, tbl) ? exit_ok : exit_failure;
}

int iceberg_cleanup(const config::load_options& sources, const iceberg_cleanup_options& o) {
  base::registry metrics;
  int exit = exit_ok;
  auto opened = open_table_store(sources, "iceberg cleanup", metrics, exit);
  if (!opened) return exit;
  store::object_store& store = *opened->store;
  table::iceberg_table tbl(store, table::location_of(store), table::partitioning{}, {},
                           sink::table_catalog(sink::options_from(opened->cfg.sink).catalog, store));
  // Listed before the table is read, so that every file of a commit made before the read is both
  // listed and referenced; the files of a commit still in progress are younger than the cut-off.
  std::vector<store::object_info> objects;
  for (const char* prefix : {"data/", "metadata/"}) {
    auto listed = store.list(prefix);
    if (!listed) {
      fmt::print(stderr, "{}\n", listed.err().message);
      return exit_failure;
    }
    objects.insert(objects.end(), listed->begin(), listed->end());
  }
  if (auto s = tbl.refresh(); !s) {
    fmt::print(stderr, "{}\n", s.err().message);
    return exit_failure;
  }
  if (tbl.current() == nullptr) {
    fmt::print(stderr, "{} holds no Iceberg table yet (no committed version); nothing to clean up\n",
               tbl.uri_of(""));
    return exit_failure;
  }
  auto referenced = tbl.referenced_keys();
  if (!referenced) {
    fmt::print(stderr, "{}\nnothing was removed: look at the table before cleaning it up\n",
               referenced.err().message);
    return exit_failure;
  }
  const std::int64_t cut_off = base::now_unix_ms() - o.older_than_s * 1000;
  std::int64_t orphans = 0, orphan_bytes = 0, young = 0;
  std::set<std::string> present;
  for (const store::object_info& obj : objects) {
    present.insert(obj.key);
    if (referenced->contains(obj.key)) continue;
    if (obj.modified_ms > cut_off) {
      ++young;
      continue;
    }
    ++orphans;
    orphan_bytes += obj.size;
    fmt::print("{}\t{}\n", tbl.uri_of(obj.key), obj.size);
    if (o.remove) {
      if (auto s = store.remove(obj.key); !s) {
        fmt::print(stderr, "{}\n", s.err().message);
        return exit_failure;
      }
    }
  }
  std::int64_t missing = 0;
  for (const std::string& key : *referenced) {
    if (key.starts_with("data/") && !present.contains(key)) {
      ++missing;
      fmt::print(stderr, "missing: {} is in the table but not in the store\n", tbl.uri_of(key));
    }
  }
  fmt::print(stderr, "{}: {} orphans ({} bytes) {}; {} unreferenced files younger than {} s left alone\n",
             tbl.uri_of(""), orphans, orphan_bytes, o.remove ? "removed" : "listed (--delete removes them)",
             young, o.older_than_s);
  return missing > 0 ? exit_failure : exit_ok;
}

}  // namespace clicktrail::app
