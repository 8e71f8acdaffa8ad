#include "table/iceberg_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <set>
#include <thread>

#include "base/clock.h"
#include "base/uuid.h"
#include "event/fields.h"
#include "table/kafka_offsets.h"
#include "table/store_catalog.h"

namespace clicktrail::table {
namespace {

constexpr int max_attempts = 20;
// Earlier metadata files a version names (Iceberg's write.metadata.previous-versions-max): older
// ones are unreferenced, and cleanup removes them.
constexpr std::size_t metadata_log_max = 100;

// A snapshot id: 63 random bits, never 0.
std::int64_t new_snapshot_id() {
  const base::uuid u = base::make_uuid_v4();
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | u.bytes[static_cast<std::size_t>(i)];
  v &= 0x7FFF'FFFF'FFFF'FFFFULL;
  return v == 0 ? 1 : static_cast<std::int64_t>(v);
}

std::int64_t summary_number(const std::map<std::string, std::string>& s, const std::string& key) {
  std::int64_t v = 0;
  if (const auto it = s.find(key); it != s.end())
    std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  return v;
}

}  // namespace

iceberg_table::iceberg_table(store::object_store& store, std::string location, partitioning p,
                             table_upkeep upkeep, std::unique_ptr<catalog> versions)
    : store_(store),
      location_(std::move(location)),
      partition_(std::move(p)),
      upkeep_(upkeep),
      versions_(std::move(versions)) {
  while (location_.ends_with('/')) location_.pop_back();
  if (!versions_) {
    versions_ = std::make_unique<store_catalog>(store_, location_);
    versions_in_store_ = true;
  }
}

std::string iceberg_table::uri_of(std::string_view key) const {
  return fmt::format("{}/{}", location_, key);
}

base::result<std::string> iceberg_table::key_of(std::string_view uri) const {
  const std::string root = location_ + "/";
  if (!uri.starts_with(root))
    return base::error::reject(
        fmt::format("the table names {}, which is not under its location {}", uri, location_));
  return std::string(uri.substr(root.size()));
}

base::status iceberg_table::refresh() {
  auto loaded = versions_->load();
  if (!loaded) return std::move(loaded).err();
  current_ = std::move(loaded).value();
  return {};
}

base::result<std::int32_t> iceberg_table::evolution(const table_metadata& current) const {
  const std::vector<std::string> ours = schema_columns();
  const std::set<std::string> mine(ours.begin(), ours.end());
  const std::set<std::string> theirs(current.columns.begin(), current.columns.end());
  for (const std::string& column : current.columns) {
    if (!mine.contains(column)) {
      return base::error::reject(fmt::format(
          "{}: the table's schema has the column \"{}\", which this version does not write as such: a newer "
          "clicktrail or another engine changed the table; commit with that version",
          metadata_uri(), column));
    }
  }
  for (const event::field& f : event::all_fields()) {
    const std::string& column = ours[event::field_index(f)];
    if (theirs.contains(column)) continue;
    if (event::is_required(f) || f.id <= current.last_column_id) {
      return base::error::reject(
          fmt::format("{}: this version adds the column \"{}\", which {}; commit with the clicktrail version "
                      "that made the table",
                      metadata_uri(), column,
                      event::is_required(f) ? "is required, and the table's rows lack it"
                                            : "reuses an id the table has used"));
    }
  }
  return current.highest_schema_id + 1;
}

base::result<table_upkeep> upkeep_of(const std::map<std::string, std::string>& properties,
                                     const table_upkeep& defaults, std::string_view where) {
  table_upkeep u = defaults;
  const auto refuse = [&](const std::string& name, const std::string& value, std::string_view want) {
    return base::error::reject(
        fmt::format("table property \"{}\" is \"{}\" in {}: it must be {}; set it so with any Iceberg "
                    "engine, or remove it",
                    name, value, where, want));
  };
  const auto number = [&](const char* name, auto& into, std::int64_t least) -> base::status {
    const auto it = properties.find(name);
    if (it == properties.end()) return {};
    std::int64_t v = 0;
    const auto* end = it->second.data() + it->second.size();
    if (auto [at, ec] = std::from_chars(it->second.data(), end, v);
        ec != std::errc{} || at != end || v < least)
      return refuse(it->first, it->second, fmt::format("a whole number, at least {}", least));
    into = static_cast<std::remove_reference_t<decltype(into)>>(v);
    return {};
  };
  for (auto s : {number("commit.manifest.min-count-to-merge", u.merge_at, 1),
                 number("commit.manifest.target-size-bytes", u.small_manifest_bytes, 1),
                 number("history.expire.max-snapshot-age-ms", u.max_snapshot_age_ms, 0),
                 number("history.expire.min-snapshots-to-keep", u.keep_snapshots, 1)}) {
    if (!s) return std::move(s).err();
  }
  if (const auto it = properties.find("commit.manifest-merge.enabled"); it != properties.end()) {
    if (it->second != "true" && it->second != "false") return refuse(it->first, it->second, "true or false");
    u.merge = it->second == "true";
  }
  return u;
}

std::string location_of(const store::object_store& store) {
  const std::string where = store.describe();
  return where.starts_with('/') ? "file://" + where : where;
}

base::result<snapshot> iceberg_table::commit(const table_change& change,
                                             const std::map<std::string, std::string>& summary,
                                             const summary_fn& on_top) {
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    if (auto s = refresh(); !s) return std::move(s).err();
    snapshot made;
    auto won = try_commit(change, summary, on_top, made);
    if (!won) return std::move(won).err();
    if (*won) return made;
    // Another writer committed v<N+1> first: build on it. A short, growing pause spreads
    // writers that keep meeting.
    std::this_thread::sleep_for(std::chrono::milliseconds(5 * (attempt + 1)));
  }
  return base::error::fail(
      fmt::format("{}: {} commits in a row lost the race for the next version; is something "
                  "writing the table in a loop?",
                  versions_->describe(), max_attempts));
}

base::result<std::string> iceberg_table::read_key(std::string_view key) {
  auto bytes = store_.get(key);
  if (!bytes) return std::move(bytes).err();
  if (!*bytes)
    return base::error::fail(fmt::format("{} is referenced by the table but missing", uri_of(key)));
  return std::move(**bytes);
}

base::result<bool> iceberg_table::try_commit(const table_change& change,
                                             const std::map<std::string, std::string>& summary,
                                             const summary_fn& on_top, snapshot& made) {
  std::map<std::string, std::string> added_summary = summary;
  if (on_top) {
    auto more = on_top(current());
    if (!more) return std::move(more).err();
    for (auto& [k, v] : *more) added_summary[k] = std::move(v);
  }
  // The id under which this version's schema joins the table, when it is new to it: a new
  // table's first schema, or one that adds columns to an older version's.
  std::optional<std::int32_t> adopted;
  if (!current_ && !versions_in_store_) {
    // A catalog is about to make the table here; a catalog-less one already here would become
    // orphans to its cleanup (and its events would leave the reader's view).
    auto there = store_catalog(store_, location_).load();
    if (!there) return std::move(there).err();
    if (*there) {
      return base::error::fail(fmt::format(
          "{} holds a table without a catalog ({}); {} has no table of that name. Register that table in "
          "the catalog (its metadata file, e.g. POST /v1/namespaces/NS/register), or give the sink another "
          "sink.output",
          location_, (*there)->uri, versions_->describe()));
    }
  }
  if (!current_) {
    adopted = schema_id;
  } else if (current_->metadata.columns != schema_columns()) {
    auto added = evolution(current_->metadata);
    if (!added) return std::move(added).err();
    adopted = *added;
  }
  const base::unix_ms now = base::now_unix_ms();
  table_metadata next;
  if (current_) {
    next = current_->metadata;
    next.metadata_log.emplace_back(next.last_updated_ms, current_->uri);
    if (next.metadata_log.size() > metadata_log_max)
      next.metadata_log.erase(next.metadata_log.begin(), next.metadata_log.end() - metadata_log_max);
  } else {
    next.table_uuid = base::make_uuid_v4().to_string();
    next.location = location_;
    next.partition = partition_;
  }
  if (adopted) {
    // This version's columns become the table's current schema; older ones stay, for the
    // snapshots written with them. Files without the new columns read them as null (matched by id).
    next.schemas.push_back(schema_json(*adopted));
    next.current_schema_id = next.highest_schema_id = *adopted;
    next.columns = schema_columns();
    next.last_column_id = last_column_id();
    next.properties["schema.name-mapping.default"] = name_mapping_json();
  }
  auto upkeep = upkeep_of(next.properties, upkeep_, metadata_uri());
  if (!upkeep) return std::move(upkeep).err();
  const std::int64_t sequence = next.last_sequence_number + 1;
  const std::int64_t id = new_snapshot_id();
  const std::string tag = base::make_uuid_v4().to_string();
  // What this attempt wrote besides the version: orphans if it loses the race.
  std::vector<std::string> written;
  const auto discard = [&] {
    for (const std::string& key : written) (void)store_.remove(key);
  };

  // The manifest of the added files, then the list: the current snapshot's manifests (those
  // listing removed files rewritten) and the new one. A commit that adds no file (its records were
  // all bad, repeats or skipped) only moves its summary, the Kafka offsets: it writes no manifest,
  // which would be an empty one for every reader to open.
  const std::vector<data_file>& files = change.added;
  std::string manifest;
  if (!files.empty()) {
    manifest = write_manifest(next.partition, id, files, next.current_schema_id);
    written.push_back(fmt::format("metadata/{}-m0.avro", tag));
    if (auto s = store_.put(written.back(), manifest); !s) return std::move(s).err();
  }
  auto manifests = carried_manifests(next);
  if (!manifests) {
    discard();
    return std::move(manifests).err();
  }
  if (!change.removed.empty()) {
    if (auto s = remove_files(*manifests, change.removed, next.partition, next.current_schema_id, id,
                              sequence, tag, written);
        !s) {
      discard();
      return std::move(s).err();
    }
  }
  manifest_file added{.path = files.empty() ? "" : uri_of(written.front()),
                      .length = static_cast<std::int64_t>(manifest.size()),
                      .sequence_number = sequence,
                      .min_sequence_number = sequence,
                      .added_snapshot_id = id,
                      .lower = std::nullopt,
                      .upper = std::nullopt};
  std::int64_t bytes = 0;
  for (const data_file& f : files) {
    ++added.added_files;
    added.added_rows += f.records;
    bytes += f.size;
    added.lower = std::min(added.lower.value_or(f.partition), f.partition);
    added.upper = std::max(added.upper.value_or(f.partition), f.partition);
  }
  std::int64_t removed_rows = 0, removed_bytes = 0;
  for (const data_file& f : change.removed) {
    removed_rows += f.records;
    removed_bytes += f.size;
  }
  if (!files.empty()) manifests->insert(manifests->begin(), added);
  if (!files.empty() && upkeep->merge && manifests->size() > upkeep->merge_at) {
    if (auto s = merge_small(*manifests, next.partition, next.current_schema_id, id, sequence, tag,
                             upkeep->small_manifest_bytes, written);
        !s) {
      discard();
      return std::move(s).err();
    }
  }
  const std::optional<std::int64_t> parent_id =
      next.current() ? std::optional(next.current()->id) : std::nullopt;
  const std::string list_key = fmt::format("metadata/snap-{}-1-{}.avro", id, tag);
  written.push_back(list_key);
  if (auto s = store_.put(list_key, write_manifest_list(id, parent_id, sequence, *manifests)); !s) {
    discard();
    return std::move(s).err();
  }

  made = snapshot{.id = id,
                  .parent = parent_id,
                  .sequence_number = sequence,
                  .timestamp_ms = now,
                  .schema_id = next.current_schema_id,
                  .manifest_list = uri_of(list_key),
                  .summary = {}};
  const auto& before = next.current() ? next.current()->summary : std::map<std::string, std::string>{};
  made.summary = std::move(added_summary);
  if (const auto offsets = before.find(std::string(kafka_offsets_key));
      offsets != before.end() && !made.summary.contains(offsets->first))
    made.summary.insert(*offsets);
  made.summary["operation"] = change.removed.empty() ? "append" : "replace";
  made.summary["added-data-files"] = std::to_string(added.added_files);
  made.summary["added-records"] = std::to_string(added.added_rows);
  made.summary["added-files-size"] = std::to_string(bytes);
  if (!change.removed.empty()) {
    made.summary["deleted-data-files"] = std::to_string(change.removed.size());
    made.summary["deleted-records"] = std::to_string(removed_rows);
    made.summary["removed-files-size"] = std::to_string(removed_bytes);
  }
  const auto total = [&](const char* key, std::int64_t plus, std::int64_t minus) {
    made.summary[key] = std::to_string(summary_number(before, key) + plus - minus);
  };
  total("total-data-files", added.added_files, static_cast<std::int64_t>(change.removed.size()));
  total("total-records", added.added_rows, removed_rows);
  total("total-files-size", bytes, removed_bytes);
  made.summary["total-delete-files"] = "0";
  made.summary["total-position-deletes"] = "0";
  made.summary["total-equality-deletes"] = "0";
  next.snapshots.push_back(made);
  // Expiry: the oldest snapshots go, the newest few stay whatever their age.
  for (std::size_t i = 0; next.snapshots.size() > upkeep->keep_snapshots &&
                          i < next.snapshots.size() - upkeep->keep_snapshots;) {
    if (next.snapshots[i].timestamp_ms < now - upkeep->max_snapshot_age_ms) {
      next.snapshots.erase(next.snapshots.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  next.last_sequence_number = sequence;
  next.last_updated_ms = now;

  auto won = versions_->commit(current_ ? &*current_ : nullptr, next);
  // Lost the race: no version names these files. An error is not a loss: the store or the
  // catalog may have taken the version and failed to say so (a lost answer, a catalog's 5xx),
  // and deleting its files would break the table. If it was not taken they are orphans, which
  // `clicktrail iceberg cleanup` removes.
  if (won && !*won) discard();
  if (!won) return std::move(won).err();
  if (!*won) return false;
  current_ = std::move(*won);
  return true;
}

base::result<std::set<std::string>> iceberg_table::referenced_keys() {
  std::vector<std::string> own = versions_->own_keys();
  std::set<std::string> keys(own.begin(), own.end());
  if (!current_) return keys;
  const auto add = [&](std::string_view uri) -> base::result<std::string> {
    auto key = key_of(uri);
    if (!key) return std::move(key).err();
    keys.insert(*key);
    return *key;
  };
  if (auto k = add(current_->uri); !k) return std::move(k).err();
  for (const auto& [at, uri] : current_->metadata.metadata_log) {
    if (auto k = add(uri); !k) return std::move(k).err();
  }
  std::set<std::string> manifests_seen;
  for (const snapshot& s : current_->metadata.snapshots) {
    auto list_key = add(s.manifest_list);
    if (!list_key) return std::move(list_key).err();
    auto list = read_key(*list_key);
    if (!list) return std::move(list).err();
    auto manifests = read_manifest_list(*list);
    if (!manifests)
      return base::error::reject(fmt::format("{}: {}", s.manifest_list, manifests.err().message));
    for (const manifest_file& m : *manifests) {
      auto manifest_key = add(m.path);
      if (!manifest_key) return std::move(manifest_key).err();
      if (!manifests_seen.insert(*manifest_key).second) continue;  // carried over: read once
      auto manifest = read_key(*manifest_key);
      if (!manifest) return std::move(manifest).err();
      auto paths = read_manifest_paths(*manifest);
      if (!paths) return base::error::reject(fmt::format("{}: {}", m.path, paths.err().message));
      for (const std::string& p : *paths) {
        if (auto k = add(p); !k) return std::move(k).err();
      }
    }
  }
  return keys;
}

}  // namespace clicktrail::table
