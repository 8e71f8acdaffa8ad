#include "format/jsonl/jsonl_writer.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "format/tests/gunzip.h"

namespace clicktrail::format {
namespace {

using test::gunzip;

TEST(jsonl_writer, gzip_lines_stream_out_as_members_and_read_back_exactly) {
  std::string file;
  std::vector<std::size_t> chunks;
  auto writer = make_jsonl_writer(true, [&](std::string_view bytes) {
    chunks.push_back(bytes.size());
    file.append(bytes);
    return base::status{};
  });
  std::string expected;
  event::event e;
  std::uint64_t noise = 88172645463325252ULL;  // xorshift: text that does not compress away
  for (int i = 0; i < 50000; ++i) {
    noise ^= noise << 13, noise ^= noise >> 7, noise ^= noise << 17;
    const std::string line = R"({"event_id":")" + std::to_string(i) +
                             R"(","type":"page_view","page_url":"https://x.example/)" +
                             std::to_string(noise) + R"("})";
    ASSERT_TRUE(writer->append(e, line).ok());
    expected += line + "\n";
  }
  ASSERT_TRUE(writer->finish({}).ok());
  EXPECT_EQ(writer->records(), 50000);
  EXPECT_GT(chunks.size(), 1u);  // streamed, not one blob at the end
  for (auto n : chunks) EXPECT_LE(n, 1u << 20) << "a chunk is one member's bytes";
  int members = 0;
  EXPECT_EQ(gunzip(file, members), expected);
  EXPECT_EQ(members, static_cast<int>(chunks.size())) << "one member to a chunk";
  EXPECT_EQ(writer->encoded_bytes(), static_cast<std::int64_t>(file.size()));
}

// sink.compression_level reaches the compressor (ISA-L at 1, libdeflate above): every level reads
// back the same lines, and the fastest level's file is larger than the smallest's.
TEST(jsonl_writer, gzip_compresses_at_the_given_level) {
  std::string expected;
  std::vector<std::string> lines;
  for (int i = 0; i < 20000; ++i) {
    lines.push_back(R"({"event_id":")" + std::to_string(i * 7919 % 100003) + R"(","type":")" +
                    (i % 3 ? "click" : "page_view") + R"(","page_url":"https://x.example/post/)" +
                    std::to_string(i % 37) + R"("})");
    expected += lines.back() + "\n";
  }
  std::map<int, std::size_t> size_at;
  for (const int level : {1, 6, 12}) {
    std::string file;
    auto writer = make_jsonl_writer(
        true,
        [&](std::string_view bytes) {
          file.append(bytes);
          return base::status{};
        },
        level);
    event::event e;
    for (const auto& line : lines) ASSERT_TRUE(writer->append(e, line).ok());
    ASSERT_TRUE(writer->finish({}).ok());
    int members = 0;
    EXPECT_EQ(gunzip(file, members), expected) << "level " << level;
    size_at[level] = file.size();
  }
  EXPECT_LT(size_at[6], size_at[1]);
  EXPECT_LE(size_at[12], size_at[6]);
}

TEST(jsonl_writer, uncompressed_is_plain_lines) {
  std::string file;
  auto writer = make_jsonl_writer(false, [&](std::string_view bytes) {
    file.append(bytes);
    return base::status{};
  });
  event::event e;
  ASSERT_TRUE(writer->append(e, R"({"a":1})").ok());
  ASSERT_TRUE(writer->append(e, R"({"a":2})").ok());
  ASSERT_TRUE(writer->finish({}).ok());
  EXPECT_EQ(file, "{\"a\":1}\n{\"a\":2}\n");
}

TEST(jsonl_writer, an_output_error_is_returned) {
  auto writer = make_jsonl_writer(
      false, [](std::string_view) { return base::status(base::error::retry("store down")); });
  event::event e;
  const std::string big(300 * 1024, 'x');
  const auto s = writer->append(e, big);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.err().message, "store down");
}

}  // namespace
}  // namespace clicktrail::format
