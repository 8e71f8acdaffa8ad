#include "format/avro/container.h"

#include <fmt/format.h>
#include <libdeflate.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <limits>
#include <memory>
#include <random>

#include "format/avro/binary.h"

namespace clicktrail::format::avro {
namespace {

constexpr std::string_view magic{"Obj\x01", 4};
constexpr std::size_t block_target = 64 * 1024;
// What one block may grow to when decompressed: far above any manifest, far below a bomb's aim.
constexpr std::size_t max_block_bytes = std::size_t{256} << 20;

std::string deflate_raw(std::string_view in) {
  std::unique_ptr<libdeflate_compressor, decltype(&libdeflate_free_compressor)> c(
      libdeflate_alloc_compressor(6), &libdeflate_free_compressor);
  std::string out(libdeflate_deflate_compress_bound(c.get(), in.size()), '\0');
  out.resize(libdeflate_deflate_compress(c.get(), in.data(), in.size(), out.data(), out.size()));
  return out;
}

base::result<std::string> inflate_raw(std::string_view in) {
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return base::error::fail("zlib could not start inflating");
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (out.size() >= max_block_bytes) break;
    const std::size_t had = out.size();
    out.resize(had + std::max<std::size_t>(4 * in.size(), 64 * 1024));
    z.next_out = reinterpret_cast<Bytef*>(out.data() + had);
    z.avail_out = static_cast<uInt>(out.size() - had);
    rc = inflate(&z, Z_NO_FLUSH);
    out.resize(out.size() - z.avail_out);
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END)
    return base::error::reject("a deflate block is corrupt or decompresses to over 256 MiB");
  return out;
}

base::result<std::string> decompress(std::string_view codec_name, std::string_view in) {
  if (codec_name == "null") return std::string(in);
  if (codec_name == "deflate") return inflate_raw(in);
  if (codec_name == "zstandard") {
    const unsigned long long size = ZSTD_getFrameContentSize(in.data(), in.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > max_block_bytes)
      return base::error::reject("a zstandard block has no usable content size");
    std::string out(static_cast<std::size_t>(size), '\0');
    const std::size_t got = ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
    if (ZSTD_isError(got) || got != out.size()) return base::error::reject("a zstandard block is corrupt");
    return out;
  }
  if (codec_name == "snappy") {
    // Avro's snappy: the compressed bytes, then the CRC-32 of the uncompressed ones, big-endian.
    if (in.size() < 4) return base::error::reject("a snappy block is shorter than its checksum");
    const std::string_view data = in.substr(0, in.size() - 4);
    std::size_t size = 0;
    if (!snappy::GetUncompressedLength(data.data(), data.size(), &size) || size > max_block_bytes)
      return base::error::reject("a snappy block is corrupt");
    std::string out;
    if (!snappy::Uncompress(data.data(), data.size(), &out))
      return base::error::reject("a snappy block is corrupt");
    const auto* c = reinterpret_cast<const unsigned char*>(in.data() + in.size() - 4);
    const std::uint32_t want =
        (std::uint32_t{c[0]} << 24) | (std::uint32_t{c[1]} << 16) | (std::uint32_t{c[2]} << 8) | c[3];
    if (crc32(0, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size())) != want)
      return base::error::reject("a snappy block's checksum does not match");
    return out;
  }
  return base::error::reject(
      fmt::format("the codec \"{}\" is not one we read (null, deflate, zstandard, snappy)", codec_name));
}

}  // namespace

std::array<char, 16> random_sync() {
  std::random_device device;
  std::array<char, 16> sync{};
  for (char& c : sync) c = static_cast<char>(device() & 0xFF);
  return sync;
}

container_writer::container_writer(std::string schema_json, codec c,
                                   std::map<std::string, std::string> metadata, std::array<char, 16> sync)
    : codec_(c), sync_(sync) {
  metadata["avro.schema"] = std::move(schema_json);
  metadata["avro.codec"] = c == codec::deflate ? "deflate" : "null";
  file_.append(magic);
  put_long(file_, static_cast<std::int64_t>(metadata.size()));
  for (const auto& [key, value] : metadata) {
    put_bytes(file_, key);
    put_bytes(file_, value);
  }
  put_long(file_, 0);
  file_.append(sync_.data(), sync_.size());
}

void container_writer::append(std::string_view datum) {
  block_.append(datum);
  ++block_count_;
  if (block_.size() >= block_target) flush_block();
}

void container_writer::flush_block() {
  if (block_count_ == 0) return;
  put_long(file_, block_count_);
  put_bytes(file_, codec_ == codec::deflate ? deflate_raw(block_) : block_);
  file_.append(sync_.data(), sync_.size());
  block_.clear();
  block_count_ = 0;
}

std::string container_writer::finish() {
  flush_block();
  return std::move(file_);
}

base::result<container> read_container(std::string_view file) {
  const auto bad = [](std::string why) {
    return base::error::reject(fmt::format("not an Avro container file we can read: {}", why));
  };
  if (!file.starts_with(magic)) return bad("it does not start with Obj\\x01");
  decoder in(file.substr(magic.size()));
  container out;
  for (std::int64_t count = in.get_long(); count != 0 && in.ok(); count = in.get_long()) {
    if (count < 0) {  // a block count with its size in bytes after it
      if (count == std::numeric_limits<std::int64_t>::min())
        return bad("its metadata's entry count is out of range");
      count = -count;
      in.get_long();
    }
    if (count > static_cast<std::int64_t>(in.remaining()))
      return bad("its metadata claims more entries than it has bytes");
    for (std::int64_t i = 0; i < count && in.ok(); ++i) {
      const std::string_view key = in.get_bytes();
      out.metadata[std::string(key)] = std::string(in.get_bytes());
    }
  }
  const std::string_view sync = in.get_fixed(16);
  if (!in.ok()) return bad(fmt::format("its header is cut short ({})", in.error()));
  const auto schema = out.metadata.find("avro.schema");
  if (schema == out.metadata.end()) return bad("its header has no avro.schema");
  out.schema_json = schema->second;
  const auto codec_entry = out.metadata.find("avro.codec");
  const std::string codec_name = codec_entry == out.metadata.end() ? "null" : codec_entry->second;
  while (in.remaining() > 0) {
    container::block b;
    b.count = in.get_long();
    const std::string_view data = in.get_bytes();
    const std::string_view marker = in.get_fixed(16);
    if (!in.ok()) return bad(fmt::format("block {} is cut short ({})", out.blocks.size() + 1, in.error()));
    if (b.count < 0) return bad(fmt::format("block {} has a negative count", out.blocks.size() + 1));
    if (marker != sync)
      return bad(fmt::format("block {} does not end with the file's sync marker", out.blocks.size() + 1));
    auto datums = decompress(codec_name, data);
    if (!datums) return bad(fmt::format("block {}: {}", out.blocks.size() + 1, datums.err().message));
    b.datums = std::move(datums).value();
    out.blocks.push_back(std::move(b));
  }
  return out;
}

}  // namespace clicktrail::format::avro
