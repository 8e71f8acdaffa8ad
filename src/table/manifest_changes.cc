// The manifest list of the next snapshot (docs/iceberg.md): what it carries over from the current
// one, the manifests a replace rewrites to take files out, and the small ones merged into one;
// and the live data files, which compaction plans from. iceberg_table's commits are in
// iceberg_table.cc.

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "table/iceberg_table.h"

namespace clicktrail::table {
namespace {

// The entry of a manifest this commit writes (a rewritten or a merged one), before its path,
// length, counts and bounds are known.
manifest_file new_manifest(std::int64_t sequence, std::int64_t snapshot_id, std::int32_t spec_id = 0) {
  return {.path = "",
          .length = 0,
          .sequence_number = sequence,
          .min_sequence_number = sequence,
          .added_snapshot_id = snapshot_id,
          .lower = std::nullopt,
          .upper = std::nullopt,
          .spec_id = spec_id};
}

}  // namespace

base::result<std::vector<manifest_entry>> iceberg_table::entries_of(const manifest_file& m) {
  auto key = key_of(m.path);
  if (!key) return std::move(key).err();
  auto bytes = read_key(*key);
  if (!bytes) return std::move(bytes).err();
  auto entries = read_manifest_entries(*bytes, m);
  if (!entries) return base::error::reject(fmt::format("{}: {}", m.path, entries.err().message));
  return entries;
}

base::result<std::vector<manifest_file>> iceberg_table::carried_manifests(const table_metadata& m) {
  const snapshot* parent = m.current();
  if (parent == nullptr) return std::vector<manifest_file>{};
  auto key = key_of(parent->manifest_list);
  if (!key) return std::move(key).err();
  auto list = read_key(*key);
  if (!list) return std::move(list).err();
  auto carried = read_manifest_list(*list);
  if (!carried)
    return base::error::reject(fmt::format("{}: {}", parent->manifest_list, carried.err().message));
  std::erase_if(*carried, [](const manifest_file& f) { return f.added_files == 0 && f.existing_files == 0; });
  return carried;
}

base::result<std::vector<manifest_entry>> iceberg_table::live_files() {
  std::vector<manifest_entry> live;
  if (!current_) return live;
  auto manifests = carried_manifests(current_->metadata);
  if (!manifests) return std::move(manifests).err();
  for (const manifest_file& m : *manifests) {
    if (m.content != 0) continue;
    auto entries = entries_of(m);
    if (!entries) return std::move(entries).err();
    for (manifest_entry& e : *entries) {
      if (e.status != manifest_entry::state::deleted) live.push_back(std::move(e));
    }
  }
  return live;
}

base::status iceberg_table::remove_files(std::vector<manifest_file>& manifests,
                                         const std::vector<data_file>& removed, const partitioning& p,
                                         std::int32_t schema, std::int64_t snapshot_id, std::int64_t sequence,
                                         const std::string& tag, std::vector<std::string>& written) {
  std::set<std::string> wanted;
  std::set<std::int32_t> partitions;
  for (const data_file& f : removed) {
    wanted.insert(f.path);
    partitions.insert(f.partition);
  }
  std::size_t found = 0;
  for (manifest_file& m : manifests) {
    // Only a data manifest whose partition range meets a removed file's can list one.
    const auto meets = [&](std::int32_t v) {
      return !m.lower || !m.upper || (*m.lower <= v && v <= *m.upper);
    };
    if (m.content != 0 || std::none_of(partitions.begin(), partitions.end(), meets)) continue;
    auto entries = entries_of(m);
    if (!entries) return std::move(entries).err();
    if (std::none_of(entries->begin(), entries->end(), [&](const manifest_entry& e) {
          return e.status != manifest_entry::state::deleted && wanted.contains(e.file.path);
        }))
      continue;
    manifest_file rewritten = new_manifest(sequence, snapshot_id, m.spec_id);
    std::vector<manifest_entry> kept;
    for (manifest_entry& e : *entries) {
      if (e.status == manifest_entry::state::deleted) continue;  // an earlier snapshot's deletion
      if (wanted.contains(e.file.path)) {
        ++found;
        e.status = manifest_entry::state::deleted;
        e.snapshot_id = snapshot_id;
        ++rewritten.deleted_files;
        rewritten.deleted_rows += e.file.records;
      } else {
        e.status = manifest_entry::state::existing;
        ++rewritten.existing_files;
        rewritten.existing_rows += e.file.records;
        rewritten.min_sequence_number =
            std::min(rewritten.min_sequence_number, e.sequence_number.value_or(sequence));
      }
      rewritten.lower = std::min(rewritten.lower.value_or(e.file.partition), e.file.partition);
      rewritten.upper = std::max(rewritten.upper.value_or(e.file.partition), e.file.partition);
      kept.push_back(std::move(e));
    }
    const std::string manifest = write_manifest_entries(p, kept, schema);
    written.push_back(fmt::format("metadata/{}-m{}.avro", tag, written.size() + 2));
    if (auto s = store_.put(written.back(), manifest); !s) return s;
    rewritten.path = uri_of(written.back());
    rewritten.length = static_cast<std::int64_t>(manifest.size());
    m = std::move(rewritten);
  }
  if (found != wanted.size()) {
    return base::error::conflict(fmt::format(
        "{}: {} of the {} files to replace are no longer in the table (another compaction replaced "
        "them first); nothing was committed",
        location_, wanted.size() - found, wanted.size()));
  }
  return {};
}

base::status iceberg_table::merge_small(std::vector<manifest_file>& manifests, const partitioning& p,
                                        std::int32_t schema, std::int64_t snapshot_id, std::int64_t sequence,
                                        const std::string& tag, std::int64_t small_bytes,
                                        std::vector<std::string>& written) {
  std::vector<manifest_file> kept{manifests.front()}, small;
  for (std::size_t i = 1; i < manifests.size(); ++i) {
    const manifest_file& m = manifests[i];
    // This commit's own rewritten manifests keep the deletions it records.
    const bool mergeable = m.content == 0 && m.length < small_bytes && m.added_snapshot_id != snapshot_id;
    (mergeable ? small : kept).push_back(m);
  }
  if (small.size() < 2) return {};
  std::vector<manifest_entry> entries;
  manifest_file merged = new_manifest(sequence, snapshot_id);
  for (const manifest_file& m : small) {
    auto read = entries_of(m);
    if (!read) return std::move(read).err();
    for (manifest_entry& e : *read) {
      if (e.status == manifest_entry::state::deleted) continue;  // gone from the table already
      e.status = manifest_entry::state::existing;
      ++merged.existing_files;
      merged.existing_rows += e.file.records;
      merged.min_sequence_number = std::min(merged.min_sequence_number, e.sequence_number.value_or(sequence));
      merged.lower = std::min(merged.lower.value_or(e.file.partition), e.file.partition);
      merged.upper = std::max(merged.upper.value_or(e.file.partition), e.file.partition);
      entries.push_back(std::move(e));
    }
  }
  const std::string bytes = write_manifest_entries(p, entries, schema);
  written.push_back(fmt::format("metadata/{}-m1.avro", tag));
  if (auto s = store_.put(written.back(), bytes); !s) return s;
  merged.path = uri_of(written.back());
  merged.length = static_cast<std::int64_t>(bytes.size());
  kept.insert(kept.begin() + 1, merged);
  manifests = std::move(kept);
  return {};
}

}  // namespace clicktrail::table
