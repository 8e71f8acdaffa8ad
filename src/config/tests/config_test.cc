#include "config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

namespace clicktrail::config {
namespace {

namespace fs = std::filesystem;

// A config file in a fresh temporary directory, removed at the end of the test.
class config_file : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("clicktrail-config-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  load_options with_file(const std::string& text) {
    const auto path = dir_ / "clicktrail.toml";
    std::ofstream(path) << text;
    load_options options;
    options.file = path;
    return options;
  }

  std::string error_of(const load_options& options) {
    auto loaded = load_config(options);
    EXPECT_FALSE(loaded.ok());
    return loaded.ok() ? "" : loaded.err().message;
  }

  fs::path dir_;
};

TEST_F(config_file, defaults_alone_are_valid) {
  auto c = load_config({});
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c->http.listen.host, "127.0.0.1");
  EXPECT_EQ(c->http.listen.port, 8080);
  EXPECT_GE(c->http.threads, 1);
  EXPECT_EQ(c->sink.threads, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())))
      << "sink.threads = 0: one per core";
  EXPECT_FALSE(c->kafka.has_value());  // no [kafka]: the embedded log
  EXPECT_EQ(c->sink.format, output_format::parquet);
  EXPECT_EQ(c->sink.codec, compression::zstd);
  EXPECT_EQ(c->sink.max_bytes, 128LL << 20);
  EXPECT_EQ(c->sink.max_age, std::chrono::minutes(5));
  EXPECT_EQ(c->sink.output.where, output_location::kind::local);
  EXPECT_EQ(c->sink.output.path, "./data");
}

TEST_F(config_file, the_design_example_loads) {
  auto c = load_config(with_file(R"(
[http]
listen = "127.0.0.1:8080"

[[sites]]
key = "demo"
origins = ["http://localhost:8080", "https://Me.GitHub.io"]

[[sites]]
key = "open"
origins = ["*"]

[kafka]
brokers = "127.0.0.1:9092"
topic = "clicktrail.events"
bad_topic = "clicktrail.bad"

[kafka.producer]
"security.protocol" = "SASL_SSL"
"linger.ms" = 5

[sink]
output = "s3://my-bucket/clicks/"
format = "parquet"
compression = "zstd"
partition_by = "event_ts"
layout = "year=%Y/month=%m/day=%d/hour=%H"
max_records = 1000000
max_bytes = "128MiB"
max_age = "5m"

[s3]
region = "eu-west-1"
endpoint = "http://127.0.0.1:8333"
path_style = true
)"));
  ASSERT_TRUE(c.ok()) << c.err().message;
  ASSERT_EQ(c->sites.size(), 2u);
  EXPECT_EQ(c->sites[0].key, "demo");
  EXPECT_EQ(c->sites[0].origins, (std::vector<std::string>{"http://localhost:8080", "https://me.github.io"}));
  EXPECT_FALSE(c->sites[0].any_origin);
  EXPECT_TRUE(c->sites[1].any_origin);
  ASSERT_TRUE(c->kafka.has_value());
  EXPECT_EQ(c->kafka->brokers, "127.0.0.1:9092");
  EXPECT_EQ(c->kafka->producer, (property_list{{"linger.ms", "5"}, {"security.protocol", "SASL_SSL"}}));
  EXPECT_EQ(c->sink.output.where, output_location::kind::s3);
  EXPECT_EQ(c->sink.output.bucket, "my-bucket");
  EXPECT_EQ(c->sink.output.prefix, "clicks");
  EXPECT_EQ(c->sink.partition_by, time_source::event_ts);
  EXPECT_EQ(c->s3.endpoint, "http://127.0.0.1:8333");
  EXPECT_TRUE(c->s3.path_style);
}

TEST_F(config_file, an_unknown_key_is_refused_with_its_location_and_a_suggestion) {
  const auto message = error_of(with_file("[kafka]\nbroker = \"x:1\"\n"));
  EXPECT_NE(
      message.find("clicktrail.toml:2:10: unknown key \"kafka.broker\"; did you mean \"kafka.brokers\"?"),
      std::string::npos)
      << message;
}

TEST_F(config_file, an_unknown_section_is_refused) {
  const auto message = error_of(with_file("[sinks]\noutput = \"x\"\n"));
  EXPECT_NE(message.find("unknown section [sinks]"), std::string::npos) << message;
}

TEST_F(config_file, a_value_out_of_bounds_names_the_key_and_the_range) {
  const auto message = error_of(with_file("[sink]\nmax_bytes = \"1KiB\"\nmax_records = 0\n"));
  EXPECT_NE(message.find("sink.max_bytes = \"1KiB\" must be a size such as"), std::string::npos) << message;
  EXPECT_NE(message.find("from 64KiB to 5GiB"), std::string::npos) << message;
  EXPECT_NE(message.find("sink.max_records = 0 must be an integer from 1 to 1000000000"), std::string::npos)
      << message;
}

TEST_F(config_file, a_wrong_type_or_choice_is_refused) {
  const auto message =
      error_of(with_file("[s3]\npath_style = \"yes\"\n[sink]\nformat = \"csv\"\nmax_age = 300\n"));
  EXPECT_NE(message.find("s3.path_style = \"yes\" is not valid: it must be true or false"), std::string::npos)
      << message;
  EXPECT_NE(message.find("sink.format = \"csv\" must be one of parquet|jsonl"), std::string::npos) << message;
  EXPECT_NE(message.find("sink.max_age = 300 is not valid: it must be a duration"), std::string::npos)
      << message;
}

TEST_F(config_file, malformed_toml_names_the_line) {
  const auto message = error_of(with_file("[http]\nlisten = \n"));
  EXPECT_NE(message.find("clicktrail.toml:2:"), std::string::npos) << message;
  EXPECT_NE(message.find("not valid TOML"), std::string::npos) << message;
}

TEST_F(config_file, a_missing_file_says_so) {
  load_options options;
  options.file = dir_ / "absent.toml";
  EXPECT_NE(error_of(options).find("cannot read the config file"), std::string::npos);
}

TEST_F(config_file, environment_overrides_the_file_and_flags_override_both) {
  auto options = with_file("[http]\nlisten = \"127.0.0.1:1000\"\n[sink]\nmax_age = \"1m\"\nthreads = 3\n");
  options.environment = {{"CLICKTRAIL_HTTP_LISTEN", "127.0.0.1:2000"},
                         {"CLICKTRAIL_SINK_MAX_AGE", "30s"},
                         {"CLICKTRAIL_KAFKA_BROKERS", "127.0.0.1:9092"},
                         {"CLICKTRAIL_KAFKA_PRODUCER_SASL_MECHANISM", "PLAIN"},
                         {"CLICKTRAIL_SITES", "demo=http://localhost:8080 https://a.example; blog=*"},
                         {"UNRELATED", "x"}};
  options.flags = {{"http.listen", "[::1]:3000", "--listen"}};
  auto c = load_config(options);
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c->http.listen.host, "::1");
  EXPECT_EQ(c->http.listen.port, 3000);
  EXPECT_EQ(c->http.listen.to_string(), "[::1]:3000");
  EXPECT_EQ(c->sink.max_age, std::chrono::seconds(30));
  EXPECT_EQ(c->sink.threads, 3);
  ASSERT_TRUE(c->kafka.has_value());
  EXPECT_EQ(c->kafka->producer, (property_list{{"sasl.mechanism", "PLAIN"}}));
  ASSERT_EQ(c->sites.size(), 2u);
  EXPECT_EQ(c->sites[0].origins.size(), 2u);
  EXPECT_TRUE(c->sites[1].any_origin);
}

TEST_F(config_file, a_misspelt_variable_is_refused_and_bad_values_name_the_variable) {
  load_options options;
  options.environment = {{"CLICKTRAIL_KAFKA_BROKER", "x:1"}, {"CLICKTRAIL_SINK_MAX_BYTES", "lots"}};
  const auto message = error_of(options);
  EXPECT_NE(
      message.find(
          "CLICKTRAIL_KAFKA_BROKER: unknown setting variable; did you mean \"CLICKTRAIL_KAFKA_BROKERS\"?"),
      std::string::npos)
      << message;
  EXPECT_NE(message.find("CLICKTRAIL_SINK_MAX_BYTES: sink.max_bytes = \"lots\" is not valid"),
            std::string::npos)
      << message;
}

TEST_F(config_file, cross_key_rules) {
  const auto message = error_of(with_file(R"(
[http]
listen = "localhost"
[[sites]]
key = "a b"
origins = ["ftp://x", "https://x.example/path"]
[[sites]]
origins = ["*"]
[kafka]
topic = "same"
bad_topic = "same"
[sink]
output = "s3://No_Such"
layout = "/year=%Y/%q"
[s3]
endpoint = "127.0.0.1:8333"
)"));
  for (const char* expected : {
           "http.listen = \"localhost\" must be host:port",
           "sites.key = \"a b\" must be 1–64 letters",
           "origin \"ftp://x\" of site \"a b\" must be scheme://host[:port]",
           "origin \"https://x.example/path\"",
           "sites[1]: a [[sites]] table needs key",
           "kafka.brokers is missing",
           "must go to a topic of its own",
           "\"No_Such\" is not a valid S3 bucket name",
           "sink.layout = \"/year=%Y/%q\" must be a relative path",
           "s3.endpoint = \"127.0.0.1:8333\" must start with http:// or https://",
       }) {
    EXPECT_NE(message.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << message;
  }
}

TEST_F(config_file, jsonl_defaults_to_gzip_but_refuses_an_explicit_zstd) {
  auto c = load_config(with_file("[sink]\nformat = \"jsonl\"\n"));
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c->sink.codec, compression::gzip);
  const auto message = error_of(with_file("[sink]\nformat = \"jsonl\"\ncompression = \"zstd\"\n"));
  EXPECT_NE(message.find("not offered for JSON Lines"), std::string::npos) << message;
}

TEST_F(config_file, a_compression_level_must_be_one_of_the_codecs) {
  auto c = load_config(with_file("[sink]\n"));
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c->sink.compression_level, 0);  // the codec's default
  c = load_config(with_file("[sink]\ncompression = \"zstd\"\ncompression_level = 19\n"));
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c->sink.compression_level, 19);
  // JSON Lines moves the default codec to gzip, and the level is gzip's.
  c = load_config(with_file("[sink]\nformat = \"jsonl\"\ncompression_level = 1\n"));
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c->sink.codec, compression::gzip);
  EXPECT_EQ(c->sink.compression_level, 1);

  auto message = error_of(with_file("[sink]\nformat = \"jsonl\"\ncompression_level = 13\n"));
  EXPECT_NE(message.find("sink.compression_level = 13 is past gzip's levels; give 1 to 12"),
            std::string::npos)
      << message;
  message = error_of(with_file("[sink]\ncompression = \"snappy\"\ncompression_level = 2\n"));
  EXPECT_NE(message.find("sink.compression = \"snappy\" has no levels"), std::string::npos) << message;
  message = error_of(with_file("[sink]\ncompression_level = 20\n"));
  EXPECT_NE(message.find("compression_level"), std::string::npos) << message;  // past zstd's 19
  message = error_of(with_file("[sink]\ncompression_level = -1\n"));
  EXPECT_NE(message.find("compression_level"), std::string::npos) << message;
}

TEST_F(config_file, a_glue_table_is_database_dot_table_for_an_iceberg_table_in_s3) {
  auto c =
      load_config(with_file("[sink]\noutput = \"s3://bucket/events\"\ntable = \"iceberg\"\n"
                            "glue_table = \"analytics.events\"\n[s3]\nregion = \"eu-west-1\"\n"));
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c->sink.glue.database, "analytics");
  EXPECT_EQ(c->sink.glue.table, "events");
  EXPECT_EQ(c->sink.glue.region, "eu-west-1");
  EXPECT_TRUE(load_config(with_file("[sink]\ntable = \"iceberg\"\n"))->sink.glue.database.empty());
  auto message =
      error_of(with_file("[sink]\noutput = \"s3://bucket/e\"\ntable = \"iceberg\"\n"
                         "glue_table = \"Analytics\"\n"));
  EXPECT_NE(message.find("must be \"database.table\""), std::string::npos) << message;
  message = error_of(with_file("[sink]\noutput = \"/var/out\"\ntable = \"iceberg\"\nglue_table = \"a.b\"\n"));
  EXPECT_NE(message.find("needs sink.table = \"iceberg\" and sink.output = \"s3://"), std::string::npos)
      << message;
}

TEST_F(config_file, a_rest_catalog_is_an_address_and_a_namespace_dot_table_for_an_iceberg_table) {
  auto c = load_config(with_file(
      "[sink]\ntable = \"iceberg\"\ncatalog_uri = \"http://127.0.0.1:8181\"\ncatalog_table = \"web.events\"\n"
      "catalog_warehouse = \"s3://w\"\ncatalog_token = \"t0k\"\n"));
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c->sink.catalog.uri, "http://127.0.0.1:8181");
  EXPECT_EQ(c->sink.catalog.ns, "web");
  EXPECT_EQ(c->sink.catalog.table, "events");
  EXPECT_EQ(c->sink.catalog.warehouse, "s3://w");
  EXPECT_EQ(c->sink.catalog.token, "t0k");
  EXPECT_TRUE(load_config(with_file("[sink]\ntable = \"iceberg\"\n"))->sink.catalog.uri.empty());
  auto message = error_of(with_file("[sink]\ntable = \"iceberg\"\ncatalog_uri = \"127.0.0.1:8181\"\n"));
  EXPECT_NE(message.find("must be an http:// or https:// address"), std::string::npos) << message;
  message = error_of(with_file("[sink]\ncatalog_uri = \"http://c\"\ncatalog_table = \"a.b\"\n"));
  EXPECT_NE(message.find("it needs sink.table = \"iceberg\""), std::string::npos) << message;
  message = error_of(with_file("[sink]\ntable = \"iceberg\"\ncatalog_uri = \"http://c\"\n"));
  EXPECT_NE(message.find("sink.catalog_table = \"\" must be \"namespace.table\""), std::string::npos)
      << message;
  message = error_of(with_file("[sink]\ntable = \"iceberg\"\ncatalog_uri = \"http://c:8181/v1/\"\n"));
  EXPECT_NE(message.find("ends in /v1, which the sink adds itself"), std::string::npos) << message;
  message = error_of(with_file("[sink]\ntable = \"iceberg\"\ncatalog_uri = \"http://\"\n"));
  EXPECT_NE(message.find("must be an http:// or https:// address"), std::string::npos) << message;
  message = error_of(with_file("[sink]\ntable = \"iceberg\"\ncatalog_table = \"a.b\"\n"));
  EXPECT_NE(message.find("sink.catalog_table is for a REST catalog, and sink.catalog_uri is not set"),
            std::string::npos)
      << message;
  message = error_of(with_file(
      "[sink]\noutput = \"s3://b/e\"\ntable = \"iceberg\"\nglue_table = \"a.b\"\ncatalog_uri = \"http://c\"\n"
      "catalog_table = \"a.b\"\n"));
  EXPECT_NE(message.find("sink.catalog_uri and sink.glue_table both name the table's keeper"),
            std::string::npos)
      << message;
}

TEST_F(config_file, background_compaction_is_for_an_iceberg_table_and_off_by_default) {
  auto c = load_config(with_file("[sink]\ntable = \"iceberg\"\ncompact_every = \"30m\"\n"));
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c->sink.compact_every, std::chrono::minutes(30));
  EXPECT_EQ(load_config(with_file("[sink]\ntable = \"iceberg\"\n"))->sink.compact_every.count(), 0);
  auto message = error_of(with_file("[sink]\ncompact_every = \"1h\"\n"));
  EXPECT_NE(message.find("sink.compact_every compacts an Iceberg table: it needs sink.table = \"iceberg\""),
            std::string::npos)
      << message;
  message = error_of(with_file("[sink]\ntable = \"iceberg\"\ncompact_every = \"500ms\"\n"));
  EXPECT_NE(message.find("give 0s (off) or at least 1s"), std::string::npos) << message;
}

TEST_F(config_file, an_iceberg_table_needs_parquet_and_a_layout_with_the_whole_date) {
  auto c = load_config(with_file("[sink]\ntable = \"iceberg\"\n"));
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c->sink.table, table_kind::iceberg);
  auto message = error_of(with_file("[sink]\ntable = \"iceberg\"\nformat = \"jsonl\"\n"));
  EXPECT_NE(message.find("writes Parquet data files; set sink.format = \"parquet\""), std::string::npos)
      << message;
  message = error_of(with_file("[sink]\ntable = \"iceberg\"\nlayout = \"hour=%H\"\n"));
  EXPECT_NE(message.find("sink.layout must have %Y, %m and %d"), std::string::npos) << message;
  EXPECT_TRUE(load_config(with_file("[sink]\ntable = \"iceberg\"\nlayout = \"dt=%Y-%m-%d\"\n")).ok());
}

TEST_F(config_file, site_privacy_options_and_the_secret_they_need) {
  const std::string sites = R"([[sites]]
key = "blog"
origins = ["https://me.github.io"]
cookieless = true
drop_bots = true
private_params = ["ref_email"]
[[sites]]
key = "shop"
pseudonymize_user_id = true
)";
  // The sink reads the same file and needs no secret: only the collector insists on one.
  EXPECT_TRUE(load_config(with_file(sites)).ok());
  const auto message = error_of(with_file(sites + "[enrich]\nsecret = \"short\"\n"));
  EXPECT_NE(message.find("enrich.secret is 5 characters; it must be at least 32"), std::string::npos)
      << message;
  auto c = load_config(with_file(sites + "[enrich]\nsecret = \"" + std::string(32, 'k') +
                                 "\"\nprivate_params = [\"promo\"]\nua_cache_entries = 5\n"));
  ASSERT_TRUE(c.ok()) << c.err().message;
  ASSERT_EQ(c->sites.size(), 2u);
  EXPECT_TRUE(c->sites[0].cookieless);
  EXPECT_TRUE(c->sites[0].drop_bots);
  EXPECT_FALSE(c->sites[0].pseudonymize_user_id);
  EXPECT_EQ(c->sites[0].private_params, std::vector<std::string>{"ref_email"});
  EXPECT_TRUE(c->sites[1].pseudonymize_user_id);
  EXPECT_FALSE(c->sites[1].cookieless);
  EXPECT_EQ(c->enrich.private_params, std::vector<std::string>{"promo"});
  EXPECT_EQ(c->enrich.ua_cache_entries, 5);
  EXPECT_EQ(c->enrich.geoip_db, "") << "no geo database unless one is configured";
}

TEST_F(config_file, snowplow_and_segment_doors_load_with_their_defaults) {
  auto c = load_config(with_file(R"([[sites]]
key = "shop"
snowplow_app_ids = ["shop-web", "shop-app"]
segment_write_keys = ["wk_shop"]
[snowplow]
paths = ["/collect/tp2"]
cookie_domains = [".Example.com"]
cookie_lifetime = "30d"
[segment]
prefixes = ["/seg/v1/"]
)"));
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c->sites[0].snowplow_app_ids, (std::vector<std::string>{"shop-web", "shop-app"}));
  EXPECT_EQ(c->sites[0].segment_write_keys, std::vector<std::string>{"wk_shop"});
  EXPECT_TRUE(c->snowplow.enabled);
  EXPECT_TRUE(c->snowplow.cookie);
  EXPECT_EQ(c->snowplow.cookie_name, "sp");
  EXPECT_EQ(c->snowplow.cookie_lifetime, std::chrono::hours(24 * 30));
  EXPECT_EQ(c->snowplow.cookie_domains, std::vector<std::string>{"example.com"});
  EXPECT_EQ(c->snowplow.paths, std::vector<std::string>{"/collect/tp2"});
  EXPECT_EQ(c->segment.prefixes, std::vector<std::string>{"/seg/v1"});
  EXPECT_EQ(c->segment.max_message_bytes, 32 * 1024);
  EXPECT_EQ(c->segment.max_batch_bytes, 500 * 1024);

  auto defaults = load_config({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->segment.prefixes, std::vector<std::string>{"/v1"});
  EXPECT_EQ(defaults->snowplow.cookie_lifetime, std::chrono::hours(24 * 365));
}

TEST_F(config_file, a_foreign_key_names_one_site_and_aliases_are_plain_paths) {
  auto message = error_of(with_file(
      "[[sites]]\nkey = \"a\"\nsegment_write_keys = [\"k\"]\n[[sites]]\nkey = \"b\"\nsegment_write_keys = "
      "[\"k\"]\n"));
  EXPECT_NE(message.find("segment write key \"k\" is listed by sites \"a\" and \"b\""), std::string::npos)
      << message;
  message =
      error_of(with_file("[[sites]]\nkey = \"a\"\n[[sites]]\nkey = \"b\"\nsnowplow_app_ids = [\"a\"]\n"));
  EXPECT_NE(message.find("site \"a\" has no snowplow_app_ids, so its key is its app id, but site \"b\""),
            std::string::npos)
      << message;
  message = error_of(with_file("[snowplow]\npaths = [\"tp2\", \"/a?b\"]\ncookie_name = \"s p\"\n"));
  EXPECT_NE(message.find("snowplow.paths entry \"tp2\" must start with '/'"), std::string::npos) << message;
  EXPECT_NE(message.find("snowplow.paths entry \"/a?b\""), std::string::npos) << message;
  EXPECT_NE(message.find("snowplow.cookie_name = \"s p\""), std::string::npos) << message;
  message = error_of(with_file("[segment]\nmax_message_bytes = \"64KiB\"\nmax_batch_bytes = \"32KiB\"\n"));
  EXPECT_NE(message.find("segment.max_message_bytes (64KiB) is larger than segment.max_batch_bytes"),
            std::string::npos)
      << message;
}

TEST_F(config_file, duplicate_site_keys_are_refused) {
  const auto message = error_of(with_file("[[sites]]\nkey = \"a\"\n[[sites]]\nkey = \"a\"\n"));
  EXPECT_NE(message.find("site key \"a\" is listed twice"), std::string::npos) << message;
}

}  // namespace
}  // namespace clicktrail::config

namespace clicktrail::config {
namespace {

TEST(cidr, parses_v4_v6_and_plain_addresses) {
  auto as_bytes = [](const char* text) { return parse_cidr(text)->address; };
  const auto lan = parse_cidr("10.1.0.0/16");
  ASSERT_TRUE(lan);
  EXPECT_TRUE(lan->contains(as_bytes("10.1.200.3")));
  EXPECT_FALSE(lan->contains(as_bytes("10.2.0.1")));
  EXPECT_FALSE(lan->contains(as_bytes("::1")));
  const auto one = parse_cidr("192.168.1.7");
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->contains(as_bytes("192.168.1.7")));
  EXPECT_FALSE(one->contains(as_bytes("192.168.1.8")));
  const auto v6 = parse_cidr("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(as_bytes("2001:db8:ffff::1")));
  EXPECT_FALSE(v6->contains(as_bytes("2001:db9::1")));
  EXPECT_TRUE(parse_cidr("0.0.0.0/0")->contains(as_bytes("8.8.8.8")));
  EXPECT_FALSE(parse_cidr("10.0.0.0/33"));
  EXPECT_FALSE(parse_cidr("10.0.0/8"));
  EXPECT_FALSE(parse_cidr("10.0.0.0/"));
  EXPECT_FALSE(parse_cidr("example.com"));
}

TEST(ingest_settings, load_with_bounds_and_cross_checks) {
  load_options options;
  options.environment = {{"CLICKTRAIL_INGEST_TRUSTED_PROXIES", "10.0.0.0/8, ::1"},
                         {"CLICKTRAIL_INGEST_PRODUCE_TIMEOUT", "2s"}};
  auto c = load_config(options);
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c->ingest.max_body, 1 << 20);
  EXPECT_EQ(c->ingest.max_events, 500);
  EXPECT_EQ(c->ingest.produce_timeout, std::chrono::seconds(2));
  EXPECT_EQ(c->ingest.trusted_proxies.size(), 2u);
  EXPECT_EQ(c->http.read_timeout, std::chrono::seconds(10));

  options.environment = {{"CLICKTRAIL_INGEST_TRUSTED_PROXIES", "10.0.0.0/99"},
                         {"CLICKTRAIL_INGEST_MAX_BODY", "16KiB"},
                         {"CLICKTRAIL_INGEST_MAX_EVENT_BYTES", "32KiB"}};
  auto bad = load_config(options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.err().message.find("\"10.0.0.0/99\" must be an address or a CIDR range"), std::string::npos);
  EXPECT_NE(bad.err().message.find("ingest.max_event_bytes (32KiB) is larger than ingest.max_body (16KiB)"),
            std::string::npos);
}

}  // namespace
}  // namespace clicktrail::config
