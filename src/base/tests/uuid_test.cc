#include "base/uuid.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace clicktrail::base {
namespace {

TEST(uuid, v7_has_version_variant_and_timestamp) {
  const unix_ms now = 1'764'000'000'123;
  const uuid id = make_uuid_v7(now);
  EXPECT_EQ(id.version(), 7);
  EXPECT_EQ(id.bytes[8] >> 6, 0b10);
  EXPECT_GE(id.v7_time(), now);
  const std::string text = id.to_string();
  ASSERT_EQ(text.size(), 36u);
  EXPECT_EQ(text[14], '7');
  EXPECT_EQ(text.substr(0, 13), "019ab697-e87b");  // 1764000000123 ms in hex
}

TEST(uuid, ids_from_one_thread_strictly_increase_within_a_millisecond) {
  const unix_ms now = 1'764'000'000'000;
  uuid previous = make_uuid_v7(now);
  for (int i = 0; i < 10000; ++i) {  // far more than fit in one millisecond's counter
    const uuid next = make_uuid_v7(now);
    ASSERT_LT(previous, next) << "at " << i;
    previous = next;
  }
}

TEST(uuid, ids_from_many_threads_are_unique) {
  std::vector<std::vector<uuid>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& out : per_thread) {
    threads.emplace_back([&out] {
      for (int i = 0; i < 20000; ++i) out.push_back(make_uuid_v7());
    });
  }
  for (auto& t : threads) t.join();
  std::set<uuid> all;
  for (const auto& out : per_thread) all.insert(out.begin(), out.end());
  EXPECT_EQ(all.size(), 80000u);
}

TEST(uuid, parse_round_trips_and_rejects_malformed_text) {
  const uuid id = make_uuid_v7();
  EXPECT_EQ(parse_uuid(id.to_string()), id);
  EXPECT_TRUE(parse_uuid("0189ABCD-ef01-7abc-8def-0123456789AB").has_value());
  EXPECT_FALSE(parse_uuid("").has_value());
  EXPECT_FALSE(parse_uuid("0189abcd-ef01-7abc-8def-0123456789a").has_value());
  EXPECT_FALSE(parse_uuid("0189abcd_ef01-7abc-8def-0123456789ab").has_value());
  EXPECT_FALSE(parse_uuid("0189abcd-ef01-7abc-8def-0123456789ag").has_value());
  EXPECT_FALSE(parse_uuid("{189abcd-ef01-7abc-8def-0123456789ab}").has_value());
}

// Every digit position, every byte: the hex digits of either case parse to their value, anything
// else is refused (the bytes next to the digit ranges, a byte whose 0x20 bit would make it a digit,
// high bytes).
TEST(uuid, parse_checks_every_digit) {
  const std::string good = "0123abcd-EF45-6789-aBcD-ef0123456789";
  const auto id = parse_uuid(good);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->to_string(), "0123abcd-ef45-6789-abcd-ef0123456789");
  for (std::size_t at = 0; at < good.size(); ++at) {
    if (at == 8 || at == 13 || at == 18 || at == 23) continue;
    for (int c = 0; c < 256; ++c) {
      std::string text = good;
      text[at] = static_cast<char>(c);
      const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      const auto got = parse_uuid(text);
      ASSERT_EQ(got.has_value(), hex) << "byte " << c << " at " << at;
      if (!hex) continue;
      const int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
      const std::size_t digit = at - (at > 8) - (at > 13) - (at > 18) - (at > 23);
      const std::uint8_t byte = got->bytes[digit / 2];
      EXPECT_EQ(digit % 2 == 0 ? byte >> 4 : byte & 0xF, v) << "byte " << c << " at " << at;
    }
  }
}

TEST(uuid, lower_case_text_is_the_parsed_id_spelled_as_to_string_spells_it) {
  // Every hex digit, either case, at every position: lower-cased, the text is what to_string()
  // writes for the id it parses to.
  const std::string digits = "0123456789abcdefABCDEF";
  for (std::size_t at = 0; at < uuid_text_size; ++at) {
    if (at == 8 || at == 13 || at == 18 || at == 23) continue;
    for (const char c : digits) {
      std::string text = "A0B1C2D3-E4F5-A6B7-C8D9-EAFB0C1D2E3F";
      text[at] = c;
      const auto id = parse_uuid(text);
      ASSERT_TRUE(id.has_value()) << text;
      lower_case_uuid_text(text);
      EXPECT_EQ(text, id->to_string()) << "digit " << c << " at " << at;
    }
  }
}

// Vectors computed with Python 3's uuid.uuid5 (the design's namespaces and id rule:
// uuid.uuid5(ns, f"{site}\n{id}")).
TEST(uuid, v5_matches_pythons_uuid5) {
  const uuid dns = *parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");  // uuid.NAMESPACE_DNS
  EXPECT_EQ(make_uuid_v5(dns, "python.org").to_string(), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  const uuid url = *parse_uuid("6ba7b811-9dad-11d1-80b4-00c04fd430c8");  // uuid.NAMESPACE_URL
  const uuid segment_ns = make_uuid_v5(url, "https://github.com/clicktrail/clicktrail#segment-message-id");
  EXPECT_EQ(segment_ns.to_string(), "ca0ce16b-88b8-543c-a35d-0ea05e9eebec");
  EXPECT_EQ(make_uuid_v5(segment_ns, "shop\najs-next-1700000000000-4f9c2b7e-1d2a-4c1b-9e3f-0a1b2c3d4e5f")
                .to_string(),
            "020a170b-22a4-5c11-8833-6c8692053f02");
  EXPECT_EQ(make_uuid_v5(segment_ns, "shop\n1").to_string(), "ae0bd322-537d-5b11-b20b-c496c5f8b46f");
  EXPECT_EQ(make_uuid_v5(segment_ns, "other\n1").to_string(), "47dcaf4d-2b37-5076-b31b-c4b869a60214");
  EXPECT_EQ(make_uuid_v5(segment_ns, "shop\n1").version(), 5);
}

TEST(uuid, v4_is_random_with_its_version_and_variant) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const uuid id = make_uuid_v4();
    EXPECT_EQ(id.version(), 4);
    EXPECT_EQ(id.bytes[8] >> 6, 0b10);
    EXPECT_TRUE(seen.insert(id.to_string()).second);
  }
}

TEST(uuid, v5_gives_the_snowplow_namespace_of_the_design) {
  // Each expected value from Python 3: uuid.uuid5(ns, name).
  const uuid namespace_url = *parse_uuid("6ba7b811-9dad-11d1-80b4-00c04fd430c8");
  // docs/design/issue-14.md: the namespace of ids derived from Snowplow eids, and one id in it.
  const uuid snowplow_ns =
      make_uuid_v5(namespace_url, "https://github.com/clicktrail/clicktrail#snowplow-event-id");
  EXPECT_EQ(snowplow_ns.to_string(), "4c83709b-cd83-554c-88f6-b8b9b901884e");
  EXPECT_EQ(make_uuid_v5(snowplow_ns, "shop\n42").to_string(), "a67986c5-d724-5acf-a47f-8de48710c5cb");
  EXPECT_EQ(snowplow_ns.version(), 5);
  EXPECT_EQ(snowplow_ns.bytes[8] >> 6, 0b10);
}

// The low bits spread ids that differ anywhere, their first bytes or their last: an
// open-addressing table (sink/recent_ids.h) takes them as the slot.
TEST(uuid, a_keyed_hash_spreads_ids_in_its_low_bits) {
  const keyed_uuid_hash hash;
  for (const std::size_t at : {0u, 6u, 14u}) {
    std::set<std::size_t> slots;
    for (unsigned n = 0; n < 4096; ++n) {
      uuid u;
      u.bytes[at] = static_cast<std::uint8_t>(n);
      u.bytes[at + 1] = static_cast<std::uint8_t>(n >> 8);
      slots.insert(hash(u) & 4095);
    }
    // Random slots would leave about 1 - 1/e of 4096 taken: 2,589.
    EXPECT_GT(slots.size(), 2400u) << "ids differing in bytes " << at << " and " << at + 1;
  }
}

}  // namespace
}  // namespace clicktrail::base
