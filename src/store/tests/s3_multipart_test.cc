// Multipart uploads against the real S3 server: streamed parts, bounded memory, abort.
#include <gtest/gtest.h>

#include "store/crypto.h"
#include "store/s3_store.h"
#include "store/tests/s3_test_support.h"

namespace clicktrail::store {
namespace {

using test::metric;
using test::open_test_store;

// Deterministic bytes, generated as they are written: the test holds no copy of the object.
std::string chunk(std::size_t index, std::size_t size) {
  std::string out(size, '\0');
  std::uint64_t x = index * 0x9e3779b97f4a7c15ULL + 1;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return out;
}

TEST(s3_multipart, twenty_mib_streamed_in_small_writes_holds_one_part_in_memory) {
  REQUIRE_S3();
  base::registry metrics;
  auto store = open_test_store(metrics, {.part_size = std::size_t{8} << 20});  // the default part size
  constexpr std::size_t write_size = 64 << 10;
  constexpr std::size_t total = std::size_t{20} << 20;

  auto u = store->begin_upload("big/object.parquet");
  ASSERT_TRUE(u);
  const std::int64_t before = test::current_memory();
  const bool reset = test::reset_peak_memory();
  std::string expected_hash_input;  // hashes of each chunk, to compare without keeping the bytes
  for (std::size_t i = 0; i * write_size < total; ++i) {
    const std::string bytes = chunk(i, write_size);
    expected_hash_input += sha256_hex(bytes);
    ASSERT_TRUE((*u)->write(bytes)) << "chunk " << i;
    if (i == 200) {  // 12.5 MiB in: one part is up, the upload is pending and invisible
      EXPECT_EQ(*store->head("big/object.parquet"), std::nullopt);
      const auto pending = store->pending_uploads("big/");
      ASSERT_TRUE(pending);
      ASSERT_EQ(pending->size(), 1u);
      EXPECT_EQ((*pending)[0].key, "big/object.parquet");
    }
  }
  auto committed = (*u)->commit();
  ASSERT_TRUE(committed) << committed.err().message;
  const std::int64_t peak = test::peak_memory();
  const std::int64_t growth = peak - before;
  std::printf("20 MiB multipart upload, 8 MiB parts: RSS before %.1f MiB, peak %.1f MiB, growth %.1f MiB%s\n",
              static_cast<double>(before) / (1 << 20), static_cast<double>(peak) / (1 << 20),
              static_cast<double>(growth) / (1 << 20), reset ? "" : " (peak not resettable: since start)");
// AddressSanitizer keeps freed memory in quarantine; ThreadSanitizer's shadow memory counts in the
// RSS. gcc says so with __SANITIZE_*__, clang with __has_feature.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  constexpr bool measurable = false;
#elif defined(__has_feature)
  constexpr bool measurable = !__has_feature(address_sanitizer) && !__has_feature(thread_sanitizer);
#else
  constexpr bool measurable = true;
#endif
  if (reset && measurable) {
    EXPECT_LT(growth, std::int64_t{12} << 20) << "one 8 MiB part plus buffers, not the object";
  }
  EXPECT_EQ(
      metric(metrics, "clicktrail_store_requests_total{store=\"s3\",op=\"upload_part\",outcome=\"ok\"}"), 3u);
  EXPECT_EQ(metric(metrics,
                   "clicktrail_store_requests_total{store=\"s3\",op=\"complete_multipart\",outcome=\"ok\"}"),
            1u);
  EXPECT_EQ(metric(metrics, "clicktrail_store_upload_bytes_total{store=\"s3\"}"), total);

  const auto info = *store->head("big/object.parquet");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, static_cast<std::int64_t>(total));
  const auto body = store->get("big/object.parquet");
  ASSERT_TRUE(body && *body);
  std::string actual_hash_input;
  for (std::size_t at = 0; at < total; at += write_size)
    actual_hash_input += sha256_hex((*body)->substr(at, write_size));
  EXPECT_TRUE(actual_hash_input == expected_hash_input) << "the object reads back byte for byte";
  EXPECT_TRUE(store->pending_uploads("big/")->empty());
}

TEST(s3_multipart, abort_leaves_no_object_and_no_pending_upload) {
  REQUIRE_S3();
  base::registry metrics;
  auto store = open_test_store(metrics);
  auto u = store->begin_upload("aborted");
  ASSERT_TRUE(u);
  for (std::size_t i = 0; i < 12; ++i) ASSERT_TRUE((*u)->write(chunk(i, 1 << 20)));  // two parts sent
  ASSERT_EQ(store->pending_uploads("")->size(), 1u);
  (*u)->abort();
  EXPECT_TRUE(store->pending_uploads("")->empty());
  EXPECT_EQ(*store->head("aborted"), std::nullopt);
  EXPECT_FALSE((*u)->write("more"));
  EXPECT_FALSE((*u)->commit());

  {
    auto dropped = store->begin_upload("dropped");
    for (std::size_t i = 0; i < 6; ++i) ASSERT_TRUE((*dropped)->write(chunk(i, 1 << 20)));
    ASSERT_EQ(store->pending_uploads("")->size(), 1u);
  }  // destroyed uncommitted: aborted
  EXPECT_TRUE(store->pending_uploads("")->empty());
  EXPECT_EQ(*store->head("dropped"), std::nullopt);
  EXPECT_TRUE(store->list("")->empty());
}

TEST(s3_multipart, small_objects_go_as_one_put_at_commit) {
  REQUIRE_S3();
  base::registry metrics;
  auto store = open_test_store(metrics);
  for (const std::size_t size : {std::size_t{0}, std::size_t{100}, s3_store::min_part_size}) {
    const std::string key = "small-" + std::to_string(size);
    auto u = store->begin_upload(key);
    const std::string bytes = chunk(size, size);
    for (std::size_t at = 0; at < size; at += 4096)
      ASSERT_TRUE((*u)->write(std::string_view(bytes).substr(at, 4096)));
    EXPECT_EQ(*store->head(key), std::nullopt) << "nothing visible before commit";
    ASSERT_TRUE((*u)->commit());
    EXPECT_EQ((*u)->bytes_written(), static_cast<std::int64_t>(size));
    EXPECT_EQ(**store->get(key), bytes);
  }
  EXPECT_EQ(
      metric(metrics, "clicktrail_store_requests_total{store=\"s3\",op=\"create_multipart\",outcome=\"ok\"}"),
      0u)
      << "an object of exactly one part is one PUT";
}

TEST(s3_multipart, a_part_boundary_object_has_no_empty_last_part) {
  REQUIRE_S3();
  base::registry metrics;
  auto store = open_test_store(metrics);
  const std::size_t size = 2 * s3_store::min_part_size;
  auto u = store->begin_upload("two-parts");
  ASSERT_TRUE((*u)->write(chunk(1, size)));
  ASSERT_TRUE((*u)->commit());
  EXPECT_EQ(
      metric(metrics, "clicktrail_store_requests_total{store=\"s3\",op=\"upload_part\",outcome=\"ok\"}"), 2u);
  EXPECT_EQ((*store->head("two-parts"))->size, static_cast<std::int64_t>(size));
}

TEST(s3_multipart, abandoned_uploads_can_be_found_and_aborted) {
  REQUIRE_S3();
  base::registry metrics;
  auto store = open_test_store(metrics);
  // Two uploads "crash" (are never aborted): they leave pending multipart uploads behind.
  std::vector<std::unique_ptr<upload>> crashed;
  for (const char* key : {"crash/a", "crash/b"}) {
    auto u = store->begin_upload(key);
    ASSERT_TRUE((*u)->write(chunk(0, s3_store::min_part_size + 1)));  // forces the first part out
    crashed.push_back(std::move(*u));
  }
  auto pending = store->pending_uploads("crash/");
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 2u);
  for (const auto& p : *pending) ASSERT_TRUE(store->abort_pending(p));
  EXPECT_TRUE(store->pending_uploads("crash/")->empty());
  crashed.clear();  // their own abort now finds nothing to abort, quietly
}

TEST(s3_multipart, remove_unfinished_aborts_only_the_uploads_of_that_key) {
  REQUIRE_S3();
  base::registry metrics;
  auto store = open_test_store(metrics);
  std::vector<std::unique_ptr<upload>> crashed;
  for (const char* key : {"left/x.jsonl", "left/x.jsonl", "left/x.jsonl.2"}) {
    auto u = store->begin_upload(key);
    ASSERT_TRUE((*u)->write(chunk(0, s3_store::min_part_size + 1)));
    crashed.push_back(std::move(*u));
  }
  ASSERT_EQ(store->pending_uploads("left/")->size(), 3u);
  ASSERT_TRUE(store->remove_unfinished("left/x.jsonl"));
  const auto rest = store->pending_uploads("left/");
  ASSERT_EQ(rest->size(), 1u) << "a key that merely starts with the same text keeps its upload";
  EXPECT_EQ(rest->front().key, "left/x.jsonl.2");
  EXPECT_TRUE(store->remove_unfinished("left/none"));  // nothing to do is fine
  crashed.clear();
}

}  // namespace
}  // namespace clicktrail::store
