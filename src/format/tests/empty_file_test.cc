// format::empty_file: what a retired key keeps in S3 must read as a file with no records.
#include <gtest/gtest.h>
#include <zlib.h>

#include "format/file_writer.h"
#include "format/parquet/file_reader.h"

namespace clicktrail::format {
namespace {

TEST(empty_file, parquet_has_the_schema_and_no_rows) {
  const auto bytes = empty_file("parquet");
  ASSERT_TRUE(bytes);
  auto reader = parquet::file_reader::open(*bytes);
  ASSERT_TRUE(reader) << reader.err().message;
  EXPECT_EQ(reader->info().num_rows, 0);
  EXPECT_TRUE(reader->info().row_groups.empty());
  EXPECT_FALSE(reader->info().columns.empty()) << "the schema is there, so readers merge it with the others";
}

TEST(empty_file, gzip_json_lines_is_a_complete_stream_of_nothing) {
  const auto bytes = empty_file("jsonl.gz");
  ASSERT_TRUE(bytes);
  z_stream zs{};
  ASSERT_EQ(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
  char out[16];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes->data()));
  zs.avail_in = static_cast<uInt>(bytes->size());
  zs.next_out = reinterpret_cast<Bytef*>(out);
  zs.avail_out = sizeof out;
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END) << "a whole gzip member, not a truncated one";
  EXPECT_EQ(zs.total_out, 0u);
  inflateEnd(&zs);
}

TEST(empty_file, plain_json_lines_is_empty_and_unknown_extensions_have_none) {
  EXPECT_EQ(empty_file("jsonl"), std::optional<std::string>(""));
  EXPECT_EQ(empty_file("csv"), std::nullopt);
  EXPECT_EQ(empty_file(""), std::nullopt);
}

}  // namespace
}  // namespace clicktrail::format
