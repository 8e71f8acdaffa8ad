#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "format/avro/binary.h"
#include "format/avro/container.h"
#include "format/avro/json_datum.h"
#include "format/avro/schema.h"

namespace clicktrail::format::avro {
namespace {

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xF]);
  }
  return out;
}

std::string long_bytes(std::int64_t v) {
  std::string out;
  put_long(out, v);
  return out;
}

TEST(avro_binary, longs_are_zigzag_varints_as_the_specification_lists_them) {
  EXPECT_EQ(hex(long_bytes(0)), "00");
  EXPECT_EQ(hex(long_bytes(-1)), "01");
  EXPECT_EQ(hex(long_bytes(1)), "02");
  EXPECT_EQ(hex(long_bytes(-2)), "03");
  EXPECT_EQ(hex(long_bytes(2)), "04");
  EXPECT_EQ(hex(long_bytes(-64)), "7f");
  EXPECT_EQ(hex(long_bytes(64)), "8001");
  EXPECT_EQ(hex(long_bytes(INT64_MAX)), "feffffffffffffffff01");
  EXPECT_EQ(hex(long_bytes(INT64_MIN)), "ffffffffffffffffff01");
}

TEST(avro_binary, what_is_written_reads_back) {
  std::string out;
  for (const std::int64_t v : {0L, 1L, -1L, 63L, -64L, 64L, 1L << 40, -(1L << 40), INT64_MAX, INT64_MIN})
    put_long(out, v);
  put_bool(out, true);
  put_double(out, 2.5);
  put_float(out, -0.25F);
  put_bytes(out, "foo");
  decoder in(out);
  for (const std::int64_t v : {0L, 1L, -1L, 63L, -64L, 64L, 1L << 40, -(1L << 40), INT64_MAX, INT64_MIN})
    EXPECT_EQ(in.get_long(), v);
  EXPECT_TRUE(in.get_bool());
  EXPECT_EQ(in.get_double(), 2.5);
  EXPECT_EQ(in.get_float(), -0.25F);
  EXPECT_EQ(in.get_bytes(), "foo");
  EXPECT_TRUE(in.ok()) << in.error();
  EXPECT_EQ(in.remaining(), 0U);
}

TEST(avro_binary, short_or_overlong_input_is_an_error_not_a_read_past_the_end) {
  decoder cut(std::string_view("\x80", 1));
  cut.get_long();
  EXPECT_FALSE(cut.ok());
  decoder overlong(std::string_view("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10));
  overlong.get_long();
  EXPECT_FALSE(overlong.ok());
  decoder long_string(
      std::string_view("\x10"
                       "abc",
                       4));  // claims 8 bytes, has 3
  EXPECT_EQ(long_string.get_bytes(), "");
  EXPECT_NE(long_string.error().find("needs 8 bytes, 3 are left"), std::string::npos) << long_string.error();
  decoder negative(std::string_view("\x01", 1));
  negative.get_bytes();
  EXPECT_FALSE(negative.ok());
  const std::string wide = long_bytes(1L << 40);  // the decoder views its bytes: they must outlive it
  decoder wide_int(wide);
  wide_int.get_int();
  EXPECT_FALSE(wide_int.ok());
}

constexpr std::string_view every_type_schema = R"({
  "type": "record", "name": "sample", "namespace": "org.example",
  "fields": [
    {"name": "n", "type": "null"},
    {"name": "b", "type": "boolean"},
    {"name": "i", "type": "int"},
    {"name": "l", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    {"name": "f", "type": "float"},
    {"name": "d", "type": "double"},
    {"name": "by", "type": "bytes"},
    {"name": "s", "type": "string"},
    {"name": "e", "type": {"type": "enum", "name": "color", "symbols": ["red", "green"]}},
    {"name": "fx", "type": {"type": "fixed", "name": "four", "size": 4}},
    {"name": "a", "type": {"type": "array", "items": "long"}},
    {"name": "m", "type": {"type": "map", "values": "string"}},
    {"name": "u", "type": ["null", "string", "four"]},
    {"name": "inner", "type": ["null", {"type": "record", "name": "pair", "fields": [
      {"name": "key", "type": "int"}, {"name": "next", "type": ["null", "pair"]}]}]}
  ]})";

constexpr std::string_view every_type_datum =
    R"({"n":null,"b":true,"i":-7,"l":1796464010806000,"f":1.5,"d":-2.25,"by":"\u0000ÿa","s":"héllo \"q\"",)"
    R"("e":"green","fx":"abcd","a":[1,-2,3],"m":{"k":"v","x":""},"u":{"string":"yes"},)"
    R"("inner":{"org.example.pair":{"key":1,"next":{"org.example.pair":{"key":2,"next":null}}}}})";

TEST(avro_schema, reads_every_kind_and_named_references) {
  const auto s = parse_schema(every_type_schema);
  ASSERT_TRUE(s) << s.err().message;
  const schema::node& root = s->root();
  EXPECT_EQ(root.kind, kind::record);
  EXPECT_EQ(root.name, "org.example.sample");
  ASSERT_EQ(root.fields.size(), 14U);
  EXPECT_EQ(s->at(root.fields[3].type).kind, kind::long_);
  EXPECT_EQ(s->at(root.fields[9].type).size, 4U);
  const schema::node& u = s->at(root.fields[12].type);
  ASSERT_EQ(u.kind, kind::union_);
  EXPECT_EQ(s->at(u.branches[2]).kind, kind::fixed);  // "four", by reference
}

TEST(avro_schema, refuses_what_it_cannot_read_and_says_what) {
  EXPECT_NE(parse_schema("{").err().message.find("not JSON"), std::string::npos);
  EXPECT_NE(parse_schema(R"("widget")").err().message.find("\"widget\", which is not defined"),
            std::string::npos);
  EXPECT_NE(parse_schema(R"({"type": "record", "name": "r"})").err().message.find("no \"fields\""),
            std::string::npos);
  EXPECT_NE(parse_schema(R"({"type": "array"})").err().message.find("no \"items\""), std::string::npos);
  // What the JSON encoding could not tell apart, the specification forbids.
  EXPECT_NE(parse_schema(R"({"type": "record", "name": "r", "fields": [{"name": "a", "type": "int"},
      {"name": "a", "type": "long"}]})")
                .err()
                .message.find("the field \"a\" twice"),
            std::string::npos);
  EXPECT_NE(parse_schema(R"(["null", "long", "long"])").err().message.find("same type"), std::string::npos);
  EXPECT_NE(parse_schema(R"(["null", ["long"]])").err().message.find("union holds a union"),
            std::string::npos);
  EXPECT_NE(
      parse_schema(R"({"type": "enum", "name": "e", "symbols": ["A", "A"]})").err().message.find("twice"),
      std::string::npos);
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += R"({"type": "array", "items": )";
  deep += "\"long\"" + std::string(100, '}');
  EXPECT_NE(parse_schema(deep).err().message.find("deeper"), std::string::npos);
}

std::string to_binary(const schema& s, std::string_view json) {
  simdjson::dom::parser p;
  const simdjson::padded_string padded(json);
  simdjson::dom::element value = p.parse(padded).value();
  std::string out, why;
  EXPECT_TRUE(datum_from_json(s, 0, value, out, why)) << why;
  return out;
}

TEST(avro_datum, json_to_binary_and_back_is_the_same_json) {
  const auto s = parse_schema(every_type_schema);
  ASSERT_TRUE(s);
  const std::string binary = to_binary(*s, every_type_datum);
  decoder in(binary);
  std::string json;
  datum_to_json(*s, 0, in, json);
  ASSERT_TRUE(in.ok()) << in.error();
  EXPECT_EQ(in.remaining(), 0U);
  EXPECT_EQ(json, every_type_datum);
}

TEST(avro_datum, the_binary_is_the_specifications_for_a_known_record) {
  // {"a": 1, "s": "ab", "u": {"long": 3}, "xs": [5]}: 02, 04 'a' 'b', 02 06, 02 0a 00.
  const auto s = parse_schema(R"({"type": "record", "name": "r", "fields": [{"name": "a", "type": "int"},
      {"name": "s", "type": "string"}, {"name": "u", "type": ["null", "long"]},
      {"name": "xs", "type": {"type": "array", "items": "int"}}]})");
  ASSERT_TRUE(s);
  EXPECT_EQ(hex(to_binary(*s, R"({"a": 1, "s": "ab", "u": {"long": 3}, "xs": [5]})")), "020461620206020a00");
}

TEST(avro_datum, a_value_that_does_not_fit_the_schema_is_refused_with_the_reason) {
  const auto s = parse_schema(R"({"type": "record", "name": "r", "fields": [{"name": "i", "type": "int"},
      {"name": "u", "type": ["null", "string"]}]})");
  ASSERT_TRUE(s);
  simdjson::dom::parser p;
  const auto refuse = [&](std::string_view json) {
    const simdjson::padded_string padded(json);
    std::string out, why;
    EXPECT_FALSE(datum_from_json(*s, 0, p.parse(padded).value(), out, why)) << json;
    return why;
  };
  EXPECT_NE(refuse(R"({"i": 4294967296, "u": null})").find("out of range"), std::string::npos);
  EXPECT_NE(refuse(R"({"u": null})").find("no field \"i\""), std::string::npos);
  EXPECT_NE(refuse(R"({"i": 1, "u": {"long": 2}})").find("does not have"), std::string::npos);
  EXPECT_NE(refuse(R"({"i": 1, "u": "bare"})").find("naming its branch"), std::string::npos);
}

TEST(avro_datum, malformed_binary_stops_with_an_error) {
  const auto s = parse_schema(R"({"type": "array", "items": "null"})");
  ASSERT_TRUE(s);
  std::string huge;
  put_long(huge, 1L << 40);  // a trillion nulls in a few bytes
  decoder in(huge);
  std::string json;
  datum_to_json(*s, 0, in, json);
  EXPECT_NE(in.error().find("more than the bytes left"), std::string::npos) << in.error();
  const auto strings = parse_schema(R"({"type": "array", "items": "string"})");
  std::string lying;
  put_long(lying, 1000);  // 1000 strings, then nothing
  decoder in2(lying);
  json.clear();
  datum_to_json(*strings, 0, in2, json);
  EXPECT_FALSE(in2.ok());
}

TEST(avro_container, a_file_reads_back_with_its_schema_metadata_and_datums_in_each_codec) {
  const auto s = parse_schema(every_type_schema);
  ASSERT_TRUE(s);
  const std::string datum = to_binary(*s, every_type_datum);
  for (const codec c : {codec::null, codec::deflate}) {
    std::array<char, 16> sync{};
    sync.fill('\x5a');
    container_writer w(std::string(every_type_schema), c, {{"iceberg.schema", "{}"}}, sync);
    constexpr int count = 2000;  // over 64 KiB: more than one block
    for (int i = 0; i < count; ++i) w.append(datum);
    const std::string file = w.finish();
    const auto read = read_container(file);
    ASSERT_TRUE(read) << read.err().message;
    EXPECT_EQ(read->schema_json, every_type_schema);
    EXPECT_EQ(read->metadata.at("iceberg.schema"), "{}");
    EXPECT_EQ(read->metadata.at("avro.codec"), c == codec::deflate ? "deflate" : "null");
    EXPECT_GT(read->blocks.size(), 1U);
    std::int64_t datums = 0;
    for (const auto& b : read->blocks) {
      decoder in(b.datums);
      for (std::int64_t i = 0; i < b.count; ++i) {
        std::string json;
        datum_to_json(*s, 0, in, json);
        ASSERT_TRUE(in.ok()) << in.error();
        EXPECT_EQ(json, every_type_datum);
        ++datums;
      }
      EXPECT_EQ(in.remaining(), 0U);
    }
    EXPECT_EQ(datums, count);
  }
}

TEST(avro_container, a_damaged_file_is_an_error_that_says_where) {
  container_writer w(R"("long")", codec::deflate, {}, random_sync());
  w.append(long_bytes(42));
  const std::string file = w.finish();
  EXPECT_NE(read_container("PAR1").err().message.find("Obj"), std::string::npos);
  EXPECT_NE(read_container(file.substr(0, 20)).err().message.find("cut short"), std::string::npos);
  std::string bad_sync = file;
  bad_sync.back() ^= 1;
  EXPECT_NE(read_container(bad_sync).err().message.find("sync marker"), std::string::npos);
  EXPECT_NE(read_container(file.substr(0, file.size() - 1)).err().message.find("block 1"), std::string::npos);
}

}  // namespace
}  // namespace clicktrail::format::avro
