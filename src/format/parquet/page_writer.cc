#include "format/parquet/page_writer.h"

#include <fmt/format.h>

#include <limits>

namespace clicktrail::format::parquet {

base::status page_writer::dictionary_page(std::int32_t entries, std::string_view body,
                                          column_chunk_meta& meta) {
  meta.dictionary_page_offset = out_offset_ + static_cast<std::int64_t>(out_.size());
  return write({.type = page_type::dictionary, .num_values = entries, .values = encoding::plain}, body, meta);
}

base::status page_writer::data_page(std::int32_t rows, encoding values, std::string_view body,
                                    column_chunk_meta& meta) {
  if (meta.num_values == 0) meta.data_page_offset = out_offset_ + static_cast<std::int64_t>(out_.size());
  meta.num_values += rows;
  return write({.type = page_type::data, .num_values = rows, .values = values}, body, meta);
}

base::status page_writer::write(page_header h, std::string_view body, column_chunk_meta& meta) {
  constexpr auto limit = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());
  // Uncompressed pages go out as they are, without a copy.
  const bool as_is = compressor_.parquet_codec() == codec::uncompressed;
  if (!as_is) {
    if (auto s = compressor_.compress(body, compressed_); !s) return s;
  }
  const std::string_view stored = as_is ? body : std::string_view(compressed_);
  if (body.size() > limit || stored.size() > limit) {
    return base::error::fail(
        fmt::format("a Parquet page of {} bytes is over the format's 2 GiB limit", body.size()));
  }
  h.uncompressed_size = static_cast<std::int32_t>(body.size());
  h.compressed_size = static_cast<std::int32_t>(stored.size());
  const std::size_t before = out_.size();
  append_page_header(out_, h);
  const auto header_bytes = static_cast<std::int64_t>(out_.size() - before);
  out_.append(stored);
  meta.total_uncompressed_size += header_bytes + h.uncompressed_size;
  meta.total_compressed_size += header_bytes + h.compressed_size;
  return {};
}

}  // namespace clicktrail::format::parquet
