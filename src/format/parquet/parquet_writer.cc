#include "format/parquet/parquet_writer.h"

#include <algorithm>
#include <cstring>

#include "base/version.h"

namespace clicktrail::format::parquet {
namespace {

constexpr std::string_view magic = "PAR1";

}  // namespace

parquet_writer::parquet_writer(const writer_options& options, write_fn out, column_limits limits)
    : options_(options),
      out_(std::move(out)),
      limits_(limits),
      compressor_(options.codec, effective_level(options.codec, options.compression_level)),
      columns_(limits_, options.times) {
  for (const column* c : columns_.in_order()) meta_.schema.push_back(c->schema());
  meta_.compression = compressor_.parquet_codec();
  meta_.created_by = std::string("clicktrail version ") + base::version;
}

base::status parquet_writer::emit(std::string_view bytes) {
  written_ += static_cast<std::int64_t>(bytes.size());
  return out_(bytes);
}

base::status parquet_writer::append(const event::event& e, std::string_view canonical) {
  if (written_ == 0) {
    if (auto s = emit(magic); !s) return s;
  }
  columns_.append(e);
  ++records_;
  ++group_rows_;
  group_json_ += static_cast<std::int64_t>(canonical.size());
  if (group_rows_ >= options_.row_group_rows || group_json_ >= options_.row_group_bytes)
    return write_row_group();
  return {};
}

base::status parquet_writer::write_row_group() {
  row_group_meta group;
  group.num_rows = group_rows_;
  group.file_offset = written_;
  const auto& columns = columns_.in_order();
  group.columns.resize(columns.size());
  const std::int64_t start = written_;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    chunk_.clear();
    page_writer pages(compressor_, chunk_, written_);
    if (auto s = columns[i]->flush(pages, group.columns[i], group_rows_); !s) return s;
    if (auto s = emit(chunk_); !s) return s;
  }
  if (group_json_ > 0) ratio_ = static_cast<double>(written_ - start) / static_cast<double>(group_json_);
  meta_.row_groups.push_back(std::move(group));
  group_rows_ = group_json_ = 0;
  return {};
}

base::status parquet_writer::finish(const file_labels& about) {
  if (written_ == 0) {
    if (auto s = emit(magic); !s) return s;
  }
  if (group_rows_ > 0) {
    if (auto s = write_row_group(); !s) return s;
  }
  meta_.key_values = {{"clicktrail.version", base::version},
                      {"clicktrail.schema_version", std::to_string(event::schema_version)}};
  meta_.key_values.insert(meta_.key_values.end(), about.begin(), about.end());
  std::string footer;
  append_file_meta(footer, meta_);
  const auto length = static_cast<std::uint32_t>(footer.size());
  char le[4];
  std::memcpy(le, &length, 4);
  footer.append(le, 4);
  footer.append(magic);
  return emit(footer);
}

std::int64_t parquet_writer::encoded_bytes() const {
  return written_ + static_cast<std::int64_t>(static_cast<double>(group_json_) * ratio_);
}

std::int64_t parquet_writer::buffered_bytes() const {
  std::int64_t sum = 0;
  for (const column* c : columns_.in_order()) sum += c->buffered_bytes();
  return sum;
}

namespace {

column_summary::kind kind_of(const column_schema& c) {
  using k = column_summary::kind;
  switch (c.type) {
    case physical_type::boolean:
      return k::boolean;
    case physical_type::int32:
      return k::int32;
    case physical_type::int64:
      // Milliseconds are not what a table's timestamp (microseconds) bounds would be read as.
      return c.logical == logical_type::timestamp_ms_utc ? k::other : k::int64;
    case physical_type::byte_array:
      return k::text;
  }
  return k::other;
}

template <class T>
T little_endian(const std::string& bytes) {
  T v{};
  std::memcpy(&v, bytes.data(), std::min(sizeof v, bytes.size()));
  return v;
}

// a < b for two plain-encoded values of one kind: numbers by value, text by unsigned bytes.
bool less(column_summary::kind k, const std::string& a, const std::string& b) {
  switch (k) {
    case column_summary::kind::int32:
      return little_endian<std::int32_t>(a) < little_endian<std::int32_t>(b);
    case column_summary::kind::int64:
      return little_endian<std::int64_t>(a) < little_endian<std::int64_t>(b);
    default:
      return a < b;  // char_traits<char> compares as unsigned char
  }
}

}  // namespace

std::vector<column_summary> parquet_writer::column_summaries() const {
  std::vector<column_summary> out;
  for (std::size_t i = 0; i < meta_.schema.size(); ++i) {
    const column_schema& c = meta_.schema[i];
    if (c.field_id == 0) continue;
    column_summary sum;
    sum.field_id = c.field_id;
    sum.type = kind_of(c);
    // Bounds only when every row group with values has them: a chunk whose values were too long
    // for statistics has none, and bounds without its values would be wrong, not just loose.
    bool bounded = sum.type != column_summary::kind::other;
    const std::string *lowest = nullptr, *highest = nullptr;
    for (const row_group_meta& group : meta_.row_groups) {
      const column_chunk_meta& chunk = group.columns[i];
      sum.bytes += chunk.total_compressed_size;
      sum.values += chunk.num_values;
      sum.nulls += chunk.stats.null_count;
      const auto& lo = chunk.stats.min_value;
      const auto& hi = chunk.stats.max_value;
      if (!lo || !hi) {
        bounded = bounded && chunk.stats.null_count == chunk.num_values;
        continue;
      }
      if (!lowest || less(sum.type, *lo, *lowest)) lowest = &*lo;
      if (!highest || less(sum.type, *highest, *hi)) highest = &*hi;
    }
    if (bounded && lowest && highest) {
      sum.min = *lowest;
      sum.max = *highest;
    }
    out.push_back(std::move(sum));
  }
  return out;
}

}  // namespace clicktrail::format::parquet
