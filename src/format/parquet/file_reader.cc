#include "format/parquet/file_reader.h"

#include <fmt/format.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "format/parquet/rle.h"
#include "format/parquet/thrift_reader.h"
#include "format/parquet/varint.h"

namespace clicktrail::format::parquet {
namespace {

constexpr std::string_view magic = "PAR1";

base::error corrupt(std::string what) {
  return base::error::reject("not a readable Parquet file: " + what);
}

std::int64_t int_field(const thrift_value& s, std::int16_t id, std::int64_t otherwise = 0) {
  const auto* f = s.field(id);
  return f != nullptr ? f->integer().value_or(otherwise) : otherwise;
}

std::string string_field(const thrift_value& s, std::int16_t id) {
  const auto* f = s.field(id);
  const auto* b = f != nullptr ? f->binary() : nullptr;
  return b != nullptr ? *b : std::string();
}

std::string logical_name(const thrift_value& element) {
  if (const auto* logical = element.field(10)) {
    if (logical->field(1)) return "STRING";
    if (logical->field(12)) return "JSON";
    if (const auto* ts = logical->field(8)) {
      const auto* unit = ts->field(2);
      const char* u = unit && unit->field(1) ? "MILLIS" : unit && unit->field(2) ? "MICROS" : "NANOS";
      const auto* utc = ts->field(1);
      const bool adjusted = utc && std::holds_alternative<bool>(utc->v) && std::get<bool>(utc->v);
      return fmt::format("TIMESTAMP({},{})", u, adjusted ? "UTC" : "local");
    }
    if (const auto* i = logical->field(10)) {
      const auto* sign = i->field(2);
      const bool is_signed = sign && std::holds_alternative<bool>(sign->v) && std::get<bool>(sign->v);
      return fmt::format("INT({},{})", int_field(*i, 1), is_signed ? "signed" : "unsigned");
    }
    return "other";
  }
  switch (int_field(element, 6, -1)) {
    case 0:
      return "STRING";
    case 9:
      return "TIMESTAMP(MILLIS,UTC)";
    case 19:
      return "JSON";
    default:
      return "";
  }
}

// --- values -----------------------------------------------------------------------------------

class cursor {
 public:
  explicit cursor(std::string_view b) : b_(b) {}
  std::size_t left() const { return b_.size() - at_; }
  bool take(std::size_t n, std::string_view& out) {
    if (n > left()) return false;
    out = b_.substr(at_, n);
    at_ += n;
    return true;
  }
  bool u32(std::uint32_t& v) {
    std::string_view s;
    if (!take(4, s)) return false;
    std::memcpy(&v, s.data(), 4);
    return true;
  }
  bool varint(std::uint64_t& v) { return read_varint(b_, at_, v); }
  std::string_view rest() const { return b_.substr(at_); }

 private:
  std::string_view b_;
  std::size_t at_ = 0;
};

base::status decompress(std::int32_t codec_id, std::string_view in, std::size_t size, std::string& out) {
  out.resize(size);
  switch (codec_id) {
    case 0:
      if (in.size() != size) return corrupt("an uncompressed page whose two sizes differ");
      std::memcpy(out.data(), in.data(), size);
      return {};
    case 1: {
      std::size_t n = 0;
      if (!snappy::GetUncompressedLength(in.data(), in.size(), &n) || n != size ||
          !snappy::RawUncompress(in.data(), in.size(), out.data())) {
        return corrupt("a snappy page that does not decompress to its size");
      }
      return {};
    }
    case 2: {
      z_stream zs{};
      if (inflateInit2(&zs, 32 + MAX_WBITS) != Z_OK) return corrupt("gzip: cannot start");
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      zs.avail_in = static_cast<uInt>(in.size());
      zs.next_out = reinterpret_cast<Bytef*>(out.data());
      zs.avail_out = static_cast<uInt>(size);
      const int rc = inflate(&zs, Z_FINISH);
      const auto produced = zs.total_out;
      inflateEnd(&zs);
      if (rc != Z_STREAM_END || produced != size)
        return corrupt("a gzip page that does not decompress to its size");
      return {};
    }
    case 6: {
      const std::size_t n = ZSTD_decompress(out.data(), size, in.data(), in.size());
      if (ZSTD_isError(n) || n != size) return corrupt("a zstd page that does not decompress to its size");
      return {};
    }
    default:
      return base::error::reject(
          fmt::format("the codec {} is not one clicktrail reads", codec_name(codec_id)));
  }
}

base::status decode_plain(std::int32_t physical, std::string_view in, std::size_t count,
                          std::vector<cell>& out) {
  cursor c(in);
  for (std::size_t i = 0; i < count; ++i) {
    std::string_view v;
    switch (physical) {
      case 0:  // BOOLEAN: bit-packed
        if (i / 8 >= in.size()) return corrupt("booleans end early");
        out.emplace_back(((static_cast<std::uint8_t>(in[i / 8]) >> (i % 8)) & 1) != 0);
        continue;
      case 1: {
        if (!c.take(4, v)) return corrupt("INT32 values end early");
        std::int32_t x;
        std::memcpy(&x, v.data(), 4);
        out.emplace_back(x);
        continue;
      }
      case 2: {
        if (!c.take(8, v)) return corrupt("INT64 values end early");
        std::int64_t x;
        std::memcpy(&x, v.data(), 8);
        out.emplace_back(x);
        continue;
      }
      case 6: {
        std::uint32_t n = 0;
        if (!c.u32(n) || !c.take(n, v)) return corrupt("BYTE_ARRAY values end early");
        out.emplace_back(std::string(v));
        continue;
      }
      default:
        return base::error::reject(
            fmt::format("{} columns are not read by clicktrail", physical_type_name(physical)));
    }
  }
  return {};
}

}  // namespace

std::string physical_type_name(std::int32_t t) {
  static const char* names[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                                "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  return t >= 0 && t < 8 ? names[t] : fmt::format("type {}", t);
}

std::string codec_name(std::int32_t c) {
  static const char* names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"};
  return c >= 0 && c < 8 ? names[c] : fmt::format("codec {}", c);
}

std::string encoding_name(std::int32_t e) {
  static const char* names[] = {
      "PLAIN",          "GROUP_VAR_INT",       "PLAIN_DICTIONARY",        "RLE",
      "BIT_PACKED",     "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
      "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
  return e >= 0 && e < 10 ? names[e] : fmt::format("encoding {}", e);
}

base::result<file_reader> file_reader::open(std::string bytes) {
  if (bytes.size() < 12 || std::string_view(bytes).substr(0, 4) != magic ||
      std::string_view(bytes).substr(bytes.size() - 4) != magic) {
    return corrupt("it does not start and end with PAR1");
  }
  std::uint32_t footer_size = 0;
  std::memcpy(&footer_size, bytes.data() + bytes.size() - 8, 4);
  if (footer_size > bytes.size() - 12)
    return corrupt(fmt::format("a footer of {} bytes in a file of {}", footer_size, bytes.size()));
  const std::string_view footer = std::string_view(bytes).substr(bytes.size() - 8 - footer_size, footer_size);
  std::size_t used = 0;
  auto meta = read_thrift_struct(footer, used);
  if (!meta) return std::move(meta).err();

  file_reader r;
  file_info& info = r.info_;
  info.footer_bytes = footer_size;
  info.num_rows = int_field(*meta, 3);
  info.created_by = string_field(*meta, 6);
  const auto* schema = meta->field(2) ? meta->field(2)->list() : nullptr;
  if (schema == nullptr || schema->empty()) return corrupt("the footer has no schema");
  if (int_field(schema->front(), 5) != static_cast<std::int64_t>(schema->size() - 1)) {
    return base::error::reject("nested columns are not read by clicktrail: only flat schemas");
  }
  for (std::size_t i = 1; i < schema->size(); ++i) {
    const thrift_value& e = (*schema)[i];
    if (e.field(5) != nullptr)
      return base::error::reject("nested columns are not read by clicktrail: only flat schemas");
    info.columns.push_back({string_field(e, 4), static_cast<std::int32_t>(int_field(e, 1)),
                            int_field(e, 3) == 1, logical_name(e)});
  }
  if (const auto* groups = meta->field(4) ? meta->field(4)->list() : nullptr) {
    for (const auto& g : *groups) {
      row_group_info group;
      group.num_rows = int_field(g, 3);
      const auto* chunks = g.field(1) ? g.field(1)->list() : nullptr;
      if (chunks == nullptr || chunks->size() != info.columns.size())
        return corrupt("a row group without a chunk per column");
      for (const auto& c : *chunks) {
        const thrift_value* m = c.field(3);
        if (m == nullptr) return corrupt("a column chunk without its metadata");
        chunk_info chunk;
        chunk.codec = static_cast<std::int32_t>(int_field(*m, 4));
        if (const auto* encs = m->field(2) ? m->field(2)->list() : nullptr) {
          for (const auto& e : *encs)
            chunk.encodings.push_back(static_cast<std::int32_t>(e.integer().value_or(-1)));
        }
        chunk.num_values = int_field(*m, 5);
        chunk.uncompressed_size = int_field(*m, 6);
        chunk.compressed_size = int_field(*m, 7);
        chunk.data_page_offset = int_field(*m, 9);
        if (m->field(11)) chunk.dictionary_page_offset = int_field(*m, 11);
        if (const auto* s = m->field(12)) {
          if (s->field(3)) chunk.null_count = int_field(*s, 3);
          if (const auto* v = s->field(6) ? s->field(6)->binary() : nullptr) chunk.min_value = *v;
          if (const auto* v = s->field(5) ? s->field(5)->binary() : nullptr) chunk.max_value = *v;
        }
        group.columns.push_back(std::move(chunk));
      }
      info.row_groups.push_back(std::move(group));
    }
  }
  if (const auto* kvs = meta->field(5) ? meta->field(5)->list() : nullptr) {
    for (const auto& kv : *kvs) info.key_values.emplace_back(string_field(kv, 1), string_field(kv, 2));
  }
  r.bytes_ = std::move(bytes);
  return r;
}

base::result<std::vector<cell>> file_reader::read_column(std::size_t row_group, std::size_t column) const {
  const column_info& col = info_.columns.at(column);
  const row_group_info& group = info_.row_groups.at(row_group);
  const chunk_info& chunk = group.columns.at(column);
  const std::int64_t start = chunk.dictionary_page_offset.value_or(chunk.data_page_offset);
  if (start < 4 || chunk.compressed_size < 0 ||
      static_cast<std::uint64_t>(start) + static_cast<std::uint64_t>(chunk.compressed_size) > bytes_.size()) {
    return corrupt(fmt::format("column {} of row group {} lies outside the file", col.name, row_group));
  }
  std::string_view rest = std::string_view(bytes_).substr(static_cast<std::size_t>(start),
                                                          static_cast<std::size_t>(chunk.compressed_size));
  std::vector<cell> out, dictionary, values;
  std::vector<std::uint32_t> levels, indices;
  std::string body;
  while (static_cast<std::int64_t>(out.size()) < chunk.num_values) {
    std::size_t used = 0;
    auto header = read_thrift_struct(rest, used);
    if (!header) return std::move(header).err();
    rest.remove_prefix(used);
    const auto type = int_field(*header, 1, -1);
    const auto raw_size = int_field(*header, 2, -1);
    const auto stored_size = int_field(*header, 3, -1);
    if (raw_size < 0 || stored_size < 0 || static_cast<std::size_t>(stored_size) > rest.size() ||
        raw_size > (1LL << 31)) {
      return corrupt(fmt::format("a page of column {} with sizes {} / {}", col.name, stored_size, raw_size));
    }
    if (auto s = decompress(chunk.codec, rest.substr(0, static_cast<std::size_t>(stored_size)),
                            static_cast<std::size_t>(raw_size), body);
        !s) {
      return std::move(s).err();
    }
    rest.remove_prefix(static_cast<std::size_t>(stored_size));
    if (type == static_cast<std::int64_t>(page_type::dictionary)) {
      const auto* h = header->field(7);
      const auto n = h ? int_field(*h, 1, -1) : -1;
      if (n < 0 || static_cast<std::uint64_t>(n) > body.size() + 1)
        return corrupt("a dictionary page without its count");
      dictionary.clear();
      if (auto s = decode_plain(col.physical, body, static_cast<std::size_t>(n), dictionary); !s)
        return std::move(s).err();
      continue;
    }
    if (type != static_cast<std::int64_t>(page_type::data)) {
      return base::error::reject(fmt::format(
          "column {}: page type {} is not read by clicktrail (v1 data pages only)", col.name, type));
    }
    const auto* h = header->field(5);
    const auto rows = h ? int_field(*h, 1, -1) : -1;
    if (rows < 0 || rows > chunk.num_values - static_cast<std::int64_t>(out.size()))
      return corrupt("a data page with more values than its chunk");
    cursor c(body);
    std::size_t present = static_cast<std::size_t>(rows);
    if (col.optional) {
      std::uint32_t n = 0;
      std::string_view level_bytes;
      if (!c.u32(n) || !c.take(n, level_bytes)) return corrupt("definition levels end early");
      if (auto s = read_rle_hybrid(level_bytes, 1, static_cast<std::size_t>(rows), levels); !s)
        return corrupt(s.err().message);
      present = static_cast<std::size_t>(std::count(levels.begin(), levels.end(), 1u));
    }
    values.clear();
    const auto enc = int_field(*h, 2, -1);
    if (enc == static_cast<std::int64_t>(encoding::plain)) {
      if (auto s = decode_plain(col.physical, c.rest(), present, values); !s) return std::move(s).err();
    } else if (enc == static_cast<std::int64_t>(encoding::rle_dictionary) || enc == 2) {
      std::string_view width;
      if (!c.take(1, width)) return corrupt("a dictionary page without its bit width");
      if (auto s = read_rle_hybrid(c.rest(), static_cast<std::uint8_t>(width[0]), present, indices); !s)
        return corrupt(s.err().message);
      for (const auto i : indices) {
        if (i >= dictionary.size()) return corrupt("a dictionary index past the dictionary");
        values.push_back(dictionary[i]);
      }
    } else {
      return base::error::reject(fmt::format("column {}: the {} encoding is not read by clicktrail", col.name,
                                             encoding_name(static_cast<std::int32_t>(enc))));
    }
    std::size_t next = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
      if (col.optional && levels[static_cast<std::size_t>(r)] == 0) {
        out.emplace_back(std::monostate{});
      } else {
        out.push_back(std::move(values[next++]));
      }
    }
  }
  return out;
}

}  // namespace clicktrail::format::parquet
