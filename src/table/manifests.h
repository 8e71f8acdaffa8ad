#pragma once
// Iceberg v2 manifests and manifest lists (the specification's "Manifests" and "Manifest Lists"),
// as Avro container files: a manifest lists the data files one commit adds; a snapshot's
// manifest list names its manifests, those of earlier snapshots carried over.
//
// Written: the fields the specification requires, the partition summaries that let readers skip
// manifests, and each data file's column metrics (sizes, value and null counts, lower and upper
// bounds) that let them skip files.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "format/file_writer.h"
#include "table/iceberg_schema.h"

namespace clicktrail::table {

// One column of a data file (the specification's column_sizes, value_counts, null_value_counts,
// lower_bounds and upper_bounds, by field id); bounds in Iceberg's single-value serialisation.
struct column_metrics {
  std::int32_t field_id = 0;
  std::optional<std::int64_t> bytes{}, values{}, nulls{};
  std::optional<std::string> lower{}, upper{};
  bool operator==(const column_metrics&) const = default;
};

// Iceberg's metrics of the columns a writer summed up: numbers as they are, text bounds cut to
// 16 bytes as Iceberg's default metrics mode, truncate(16), does (an upper bound then rounded up,
// or left out where it cannot be).
std::vector<column_metrics> metrics_of(std::span<const format::column_summary> columns);

struct data_file {
  std::string path;  // absolute: s3://bucket/… or file:///…
  std::int64_t size = 0;
  std::int64_t records = 0;
  std::int32_t partition = 0;             // the partition value (hours or days since 1970)
  std::vector<column_metrics> columns{};  // none: readers cannot skip the file by its columns
};

// A manifest of `files`, all added by snapshot `snapshot_id`.
// `schema` is the id of the table's current schema (this version's columns), for the header.
std::string write_manifest(const partitioning& p, std::int64_t snapshot_id, std::span<const data_file> files,
                           std::int32_t schema = schema_id);

// One manifest entry. Sequence numbers are nullopt in a snapshot's own new manifest (readers take
// the manifest list's), explicit in a manifest that carries entries over from others.
struct manifest_entry {
  enum class state : std::int32_t { existing = 0, added = 1, deleted = 2 };
  state status = state::added;
  std::int64_t snapshot_id = 0;
  std::optional<std::int64_t> sequence_number, file_sequence_number;
  data_file file;
};
std::string write_manifest_entries(const partitioning& p, std::span<const manifest_entry> entries,
                                   std::int32_t schema = schema_id);

struct manifest_file {
  std::string path;
  std::int64_t length = 0;
  std::int64_t sequence_number = 0;
  std::int64_t min_sequence_number = 0;
  std::int64_t added_snapshot_id = 0;
  std::int32_t added_files = 0, existing_files = 0, deleted_files = 0;
  std::int64_t added_rows = 0, existing_rows = 0, deleted_rows = 0;
  // The partition values' range in the manifest (the spec's field_summary, one partition field).
  std::optional<std::int32_t> lower, upper;
  std::int32_t content = 0;  // 0: data, 1: deletes
  std::int32_t spec_id = 0;
};

// The manifest list of snapshot `snapshot_id` (sequence number `sequence`).
std::string write_manifest_list(std::int64_t snapshot_id, std::optional<std::int64_t> parent,
                                std::int64_t sequence, std::span<const manifest_file> manifests);

// The manifests a manifest list names, whoever wrote it, for the next snapshot to carry over.
base::result<std::vector<manifest_file>> read_manifest_list(std::string_view avro_file);

// The data file paths a manifest lists (every entry, whatever its status), whoever wrote it.
base::result<std::vector<std::string>> read_manifest_paths(std::string_view avro_file);

// The entries of a manifest, whoever wrote it, with what they inherit from `listed` (its entry in
// the manifest list) filled in: ready to be written into a merged manifest as existing files.
base::result<std::vector<manifest_entry>> read_manifest_entries(std::string_view avro_file,
                                                                const manifest_file& listed);

}  // namespace clicktrail::table
