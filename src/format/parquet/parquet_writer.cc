#include "format/parquet/parquet_writer.h"

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
      compressor_(options.codec),
      columns_(make_event_columns(limits_, options.times)) {
  for (const auto& c : columns_) meta_.schema.push_back(c->schema());
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
  for (const auto& c : columns_) c->append(e);
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
  group.columns.resize(columns_.size());
  const std::int64_t start = written_;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    chunk_.clear();
    page_writer pages(compressor_, chunk_, written_);
    if (auto s = columns_[i]->flush(pages, group.columns[i]); !s) return s;
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
  for (const auto& c : columns_) sum += c->buffered_bytes();
  return sum;
}

}  // namespace clicktrail::format::parquet
