// The router's enrichment: what it writes for JSON Lines is the canonical record of the enriched
// event, whether the sink's fields could be appended to the record it read or not, and whether
// the record was JSON or binary (event/binary_record.h).
#include "sink/router.h"

#include <gtest/gtest.h>

#include "event/binary_record.h"
#include "event/encode.h"

namespace clicktrail::sink {
namespace {

class record final : public source_record {
 public:
  explicit record(std::string value) : value_(std::move(value)) {}
  std::int32_t partition() const override { return 0; }
  std::int64_t offset() const override { return 7; }
  std::optional<std::string_view> value() const override { return value_; }
  std::int64_t timestamp_ms() const override { return 1'795'600'800'000; }

 private:
  std::string value_;
};

std::shared_ptr<const enrich::sink_rules> rules() {
  static const auto loaded = [] {
    config::config cfg;
    cfg.enrich.ua_cache_entries = 64;
    return std::move(enrich::sink_rules::load(cfg)).value();
  }();
  return loaded;
}

router jsonl_router() {
  sink_options o;
  o.format = config::output_format::jsonl;
  o.enrichment = rules();
  return router(o, "clicktrail.events");
}

constexpr const char* collected =
    R"({"event_id":"0190b3c4-0000-7000-8000-000000000001","type":"page_view","site":"demo",)"
    R"("collector_ts":1795600800000,"event_ts":1795600800000,)"
    R"("page_url":"https://shop.example/?gclid=x","referrer":"https://www.bing.com/search?q=red+shoes",)"
    R"("ua":"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) )"
    R"(Version/17.1 Mobile/15E148 Safari/604.1","ip":"192.0.2.0","props":{"ua_x":1},"schema_version":1})";

TEST(router, an_enriched_record_is_written_as_its_canonical_encoding) {
  auto r = jsonl_router();
  // props holds a key that looks like one of the sink's: the record takes the slow path, and the
  // line must be the same.
  for (const std::string& value : {std::string(collected), [] {
                                     std::string plain = collected;
                                     plain.replace(plain.find(R"("props":{"ua_x":1},)"), 19, "");
                                     return plain;
                                   }()}) {
    const record in(value);
    const routed_record out = r.route(in);
    ASSERT_EQ(out.to, table::events) << out.text();
    EXPECT_EQ(out.e.ua_browser, "Mobile Safari");
    EXPECT_EQ(out.e.referrer_medium, "paid");
    EXPECT_EQ(out.e.referrer_source, "Bing");
    EXPECT_EQ(out.e.click_id_kind, "gclid");
    std::string canonical;
    event::encode(out.e, canonical);
    EXPECT_EQ(out.text(), canonical);
  }
}

// The same event, as the collector writes it by default.
std::string collected_binary() {
  const auto e = event::decode_stored(collected);
  std::string out;
  event::encode_binary(*e, out);
  return out;
}

TEST(router, a_binary_record_gives_the_line_and_event_its_json_gives) {
  for (const bool enriched : {true, false}) {
    sink_options o;
    o.format = config::output_format::jsonl;
    if (enriched) o.enrichment = rules();
    router r(o, "clicktrail.events");
    // The records outlive what was routed from them, as in the sink: a line may be a view of one.
    const record json(collected), binary(collected_binary());
    const routed_record from_json = r.route(json);
    const routed_record from_binary = r.route(binary);
    ASSERT_EQ(from_binary.to, table::events) << from_binary.text();
    EXPECT_TRUE(from_binary.e == from_json.e);
    EXPECT_EQ(from_binary.text(), from_json.text());
    EXPECT_EQ(from_binary.time_partition, from_json.time_partition);
    EXPECT_EQ(from_binary.text().front(), '{');
  }
}

TEST(router, a_malformed_binary_record_goes_to_the_bad_table_with_its_bytes) {
  auto r = jsonl_router();
  std::string value = collected_binary();
  value.resize(value.size() - 1);  // schema_version's value cut off
  const record in(value);
  const routed_record out = r.route(in);
  ASSERT_EQ(out.to, table::bad);
  EXPECT_NE(out.text().find(R"("detail":"the binary record is malformed: schema_version (byte )"),
            std::string::npos)
      << out.text();
  EXPECT_NE(out.text().find(R"("raw_base64":"wQ)"), std::string::npos) << out.text();  // 0xC1 0x0A…
}

TEST(router, a_record_naming_the_sinks_fields_as_null_gets_them_once) {
  auto r = jsonl_router();
  std::string value = collected;
  value.insert(value.size() - 1, R"(,"ua_browser":null,"referrer_medium":null)");
  const record in(value);
  const routed_record out = r.route(in);
  ASSERT_EQ(out.to, table::events) << out.text();
  std::string canonical;
  event::encode(out.e, canonical);
  EXPECT_EQ(out.text(), canonical);
  EXPECT_EQ(out.text().find("\"ua_browser\""), out.text().rfind("\"ua_browser\"")) << "one key, once";
}

TEST(router, a_user_agent_longer_than_its_columns_is_cut_and_the_event_flagged) {
  auto r = jsonl_router();
  std::string value = collected;
  const std::string ua =
      "Mozilla/5.0 (Linux; Android 10; " + std::string(700, 'Z') +
      " Build/QP1A.190711.020) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36";
  const auto from = value.find(R"("ua":")") + 6;
  value.replace(from, value.find('"', from) - from, ua);
  for (int twice = 0; twice < 2; ++twice) {  // parsed, then from the cache
    const record in(value);
    const routed_record out = r.route(in);
    ASSERT_EQ(out.to, table::events) << out.text();
    ASSERT_TRUE(out.e.ua_device_model);
    EXPECT_LE(out.e.ua_device_model->size(), 256u);
    EXPECT_TRUE(out.e.truncated);
    std::string canonical;
    event::encode(out.e, canonical);
    EXPECT_EQ(out.text(), canonical);
  }
}

// Parquet stores the event, and sizes row groups by the record as consumed: the file is handed a
// view of the record's value, not a copy of it.
TEST(router, parquet_is_handed_the_consumed_record_without_a_copy) {
  sink_options o;
  o.format = config::output_format::parquet;
  o.enrichment = rules();
  router r(o, "clicktrail.events");
  for (const std::string& value : {std::string(collected), collected_binary()}) {
    const record in(value);
    const routed_record out = r.route(in);
    ASSERT_EQ(out.to, table::events) << out.text();
    EXPECT_TRUE(out.line.empty());
    EXPECT_EQ(out.text().data(), in.value()->data());
    EXPECT_EQ(out.text(), value);
    EXPECT_EQ(out.e.ua_browser, "Mobile Safari");  // enriched all the same
  }
}

}  // namespace
}  // namespace clicktrail::sink
