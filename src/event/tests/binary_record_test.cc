// The binary record: its bytes are protobuf's wire form of docs/record.proto behind one marker
// byte, decode_stored reads it like the JSON record, and anything malformed is refused with a
// message that names the field and the byte. (round_trip_test.cc round-trips generated events.)

#include "event/binary_record.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "event/encode.h"
#include "event/fields.h"
#include "event/json_parser.h"
#include "event/json_text.h"

namespace clicktrail::event {
namespace {

using namespace std::string_literals;

constexpr std::string_view id = "0190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f60";

event minimal() {
  event e;
  e.event_id = id;
  e.type = "click";
  e.site = "shop";
  e.collector_ts = 1'700'000'000'300;
  e.event_ts = 1'700'000'000'200;
  return e;
}

std::string binary(const event& e) {
  std::string out;
  encode_binary(e, out);
  return out;
}

std::string error_of(std::string_view record) {
  const auto e = decode_stored(record);
  return e.ok() ? "(accepted)" : e.err().message;
}

// Tag and value bytes as protobuf writes them, worked out by hand: a tag is (id << 3 | wire
// type) as a varint, integers are zigzag varints, text is a varint length and the bytes.
TEST(binary_record, is_the_marker_then_protobuf_wire_form) {
  const std::string want = "\xC1"s                           // marker
                           + "\x0A\x24" + std::string(id)    // 1 event_id, 36 bytes
                           + "\x12\x05" + "click"            // 2 type
                           + "\x1A\x04" + "shop"             // 3 site
                           + "\x30\xD8\xA4\xAB\xFE\xF9\x62"  // 6 collector_ts, zigzag
                           + "\x38\x90\xA3\xAB\xFE\xF9\x62"  // 7 event_ts
                           + "\xF0\x02\x02";                 // 46 schema_version = 1
  EXPECT_EQ(binary(minimal()), want);

  event e = minimal();
  e.y = -20;           // 28, zigzag 39
  e.truncated = true;  // 45, written only when true
  e.is_bot = false;    // 54, written when set
  const std::string with = binary(e);
  EXPECT_NE(with.find("\xE0\x01\x27"s), std::string::npos);  // y: tag 224 as a varint, then 39
  EXPECT_NE(with.find("\xE8\x02\x01"s), std::string::npos);  // truncated = 1
  EXPECT_NE(with.find("\xB0\x03\x00"s), std::string::npos);  // is_bot = 0
}

TEST(binary_record, reads_back_as_the_json_record_does) {
  event e = minimal();
  e.page_url = "https://shop.example/?q=é";
  e.props = R"({"a":[1,2.5],"b":null})";
  e.referrer = "";  // empty is not absent
  e.geo_asn = 64'500;
  std::string json;
  encode(e, json);
  const auto from_json = decode_stored(json);
  const auto from_binary = decode_stored(binary(e));
  ASSERT_TRUE(from_json.ok() && from_binary.ok()) << error_of(binary(e));
  EXPECT_TRUE(*from_binary == e);
  EXPECT_TRUE(*from_binary == *from_json);
  EXPECT_LT(binary(e).size(), json.size() * 2 / 3);
}

TEST(binary_record, repairs_bad_utf8_as_the_json_record_does) {
  event e = minimal();
  e.ua = "Mozilla\xFF/5.0 \xC3";  // raw header bytes: not UTF-8
  std::string json;
  encode(e, json);
  const auto from_json = decode_stored(json);
  const auto from_binary = decode_stored(binary(e));
  ASSERT_TRUE(from_json.ok() && from_binary.ok()) << error_of(binary(e));
  EXPECT_EQ(*from_binary->ua, "Mozilla\xEF\xBF\xBD/5.0 \xEF\xBF\xBD");
  EXPECT_TRUE(*from_binary == *from_json);
}

TEST(binary_record, refuses_what_it_cannot_trust_and_says_where) {
  const std::string good = binary(minimal());
  // Every cut of the record short of its end: none is read as an event (schema_version, the
  // last field, is required), and none reads past the end.
  for (std::size_t n = 1; n < good.size(); ++n) {
    EXPECT_FALSE(decode_stored(good.substr(0, n)).ok()) << n;
  }
  EXPECT_EQ(error_of(good + "\xF8\x07\x00"s),  // id 127
            "the binary record is malformed: field id 127 (byte 69) is not in this build's schema; a newer "
            "collector wrote it: upgrade the sink, or set the collector's ingest.record_format = \"json\" "
            "until then");
  EXPECT_EQ(
      error_of(good + "\x32\x01\x30"s),  // collector_ts as text
      "the binary record is malformed: collector_ts (byte 69): an integer must have wire type 0, not 2");
  EXPECT_EQ(error_of(good + "\x60\x01"s),  // page_url (12) as an integer
            "the binary record is malformed: page_url (byte 69): text must have wire type 2, not 0");
  EXPECT_EQ(error_of(good + "\x62\x05" + "ab"),
            "the binary record is malformed: page_url (byte 69): its length 5 runs past the record's end");
  EXPECT_EQ(error_of(good + "\x62\x02\xC3\x28"s),
            "the binary record is malformed: page_url (byte 69): not valid UTF-8");
  EXPECT_EQ(error_of(good + "\xE2\x02\x05" + "[1,2]"),  // props (44) not an object
            "the binary record is malformed: props (byte 69): not a JSON object");
  EXPECT_EQ(error_of(good + "\xE0\x01\x80\x80\x80\x80\x20"s),  // y = 2^32: not an int32
            "the binary record is malformed: y (byte 69): 4294967296 is outside -2147483648 … 2147483647");
  EXPECT_EQ(error_of(good + "\xE8\x02\x02"s),
            "the binary record is malformed: truncated (byte 69): a boolean must be 0 or 1");
  EXPECT_EQ(error_of(good + "\xE0\x01\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01"s),
            "the binary record is malformed: y (byte 69): its value is cut short or over 64 bits");

  std::string bad_id = good;
  bad_id[3] = 'x';  // in the UUID's first group
  EXPECT_EQ(
      error_of(bad_id),
      "the binary record is malformed: event_id (byte 1): \"x190e5b4-5a3c-7c6e-9a44-1b2c3d4e5f60\" is not "
      "a UUID");
  EXPECT_EQ(error_of("\xC1\x12\x05"s + "click"),
            "the binary record is malformed: event_id is missing; encode_binary always writes it");
}

TEST(binary_record, props_come_back_compact) {
  // A record from elsewhere may hold props with spaces or line breaks; a JSON Lines line must not.
  const std::string record = binary(minimal()) + "\xE2\x02\x0B" + "{ \"a\" :\n1 }";
  const auto e = decode_stored(record);
  ASSERT_TRUE(e.ok()) << error_of(record);
  EXPECT_EQ(*e->props, R"({"a":1})");
}

TEST(binary_record, props_read_back_as_write_compact_writes_them) {
  // Compact props are copied as they are, the rest written again: either way the bytes are
  // write_compact's. Each of these is spelled one way or the other, by a rule of raw_json.h.
  for (const std::string props : {
           R"({})",
           R"({"plan":"pro","label":"Add to cart, now","items":3,"tags":["a",{"b":[]}],"ok":true,"n":null})",
           R"({"quote":"say \"hi\"","back":"a\\b","ctl":"\u0001"})",  // escapes as write_string makes them
           R"({"slash":"a\/b"})",                                     // an escape it does not make
           R"({"e":"\u00E9","tab":"\t"})",
           R"({"price":1.50,"big":12345678901234567890,"neg":-0,"exp":1e3,"minus":-7})",
           R"({"a":1} )",  // whitespace after the object
           "{\"a\":[1, 2]}",
       }) {
    SCOPED_TRACE(props);
    json_parser parser;
    simdjson::dom::element value;
    ASSERT_EQ(parser.parse(props, 1024, value), simdjson::SUCCESS);
    std::string want;
    ASSERT_TRUE(write_compact(want, value, 1024));

    event e = minimal();
    e.props = props;
    const auto back = decode_stored(binary(e));
    ASSERT_TRUE(back.ok()) << back.err().message;
    EXPECT_EQ(*back->props, want);
  }
}

// Integers of every varint length, 1 to 10 bytes, where eight bytes or more follow (up to eight
// read with one load) and at the record's end (read byte by byte): those in client_ts's range are
// its value, the rest refused with the value read.
TEST(binary_record, varints_of_every_length_read_back) {
  std::string tag;
  const auto field_id = static_cast<std::uint64_t>(find_field("client_ts")->id);
  for (std::uint64_t t = field_id << 3;; t >>= 7) {  // wire type 0
    tag.push_back(static_cast<char>(t < 0x80 ? t : (t & 0x7F) | 0x80));
    if (t < 0x80) break;
  }
  const auto varint = [](std::uint64_t z) {
    std::string out;
    for (; z >= 0x80; z >>= 7) out.push_back(static_cast<char>(z | 0x80));
    out.push_back(static_cast<char>(z));
    return out;
  };
  const std::string rest = binary(minimal()).substr(1);
  for (unsigned bytes = 1; bytes <= 10; ++bytes) {
    const unsigned bits = std::min(7 * bytes, 64u);
    const std::uint64_t lowest = bytes == 1 ? 0 : 1ULL << (7 * (bytes - 1));
    const std::uint64_t highest = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
    for (const std::uint64_t z : {lowest, lowest + 1, highest - 1, highest}) {
      ASSERT_EQ(varint(z).size(), bytes);
      const auto v = static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1);  // zigzag
      for (const bool at_end : {false, true}) {
        const std::string record =
            at_end ? "\xC1"s + rest + tag + varint(z) : "\xC1"s + tag + varint(z) + rest;
        const auto back = decode_stored(record);
        if (v >= 0 && v <= max_unix_ms) {
          ASSERT_TRUE(back.ok()) << back.err().message;
          EXPECT_EQ(back->client_ts, v) << bytes << " bytes, at the end: " << at_end;
        } else {
          ASSERT_FALSE(back.ok()) << v;
          EXPECT_NE(back.err().message.find(std::to_string(v) + " is outside"), std::string::npos)
              << back.err().message;
        }
      }
    }
  }
  // Over ten bytes, over 64 bits (a tenth byte above 1), or cut short: refused.
  EXPECT_NE(error_of("\xC1"s + tag + std::string(10, '\x80') + "\x01" + rest)
                .find("its value is cut short or over 64 bits"),
            std::string::npos);
  for (const char tenth : {'\x02', '\x7F'}) {
    for (const bool at_end : {false, true}) {
      const std::string over = std::string(9, '\xFF') + tenth;
      EXPECT_NE(error_of(at_end ? "\xC1"s + rest + tag + over : "\xC1"s + tag + over + rest)
                    .find("its value is cut short or over 64 bits"),
                std::string::npos)
          << static_cast<int>(tenth) << ", at the end: " << at_end;
    }
  }
  EXPECT_NE(error_of("\xC1"s + rest + tag + "\x80\x80").find("its value is cut short"), std::string::npos);
}

TEST(binary_record, gives_the_event_id_it_parsed) {
  // The sink checks each event id against the ones it stored lately, by its 16 bytes: a binary
  // record's decode hands over the ones its check parsed; a JSON record's leaves it to the caller.
  std::optional<base::uuid> got;
  event e;
  ASSERT_TRUE(decode_stored_into(binary(minimal()), e, nullptr, &got).ok());
  EXPECT_EQ(got, base::parse_uuid(id));

  std::string json;
  encode(minimal(), json);
  ASSERT_TRUE(decode_stored_into(json, e, nullptr, &got).ok());
  EXPECT_EQ(got, std::nullopt);

  got = base::parse_uuid(id);
  EXPECT_FALSE(decode_stored_into("\xC1"s + "\x12\x05" + "click", e, nullptr, &got).ok());
  EXPECT_EQ(got, std::nullopt) << "a record refused gives no id";
}

TEST(binary_record, docs_record_proto_is_current) {
  const std::string want = record_proto();
  std::ifstream file(CT_SOURCE_DIR "/docs/record.proto");
  std::stringstream have;
  have << file.rdbuf();
  if (have.str() != want) {
    std::ofstream(CT_BINARY_DIR "/record.proto") << want;
    FAIL()
        << "docs/record.proto is out of date with src/event/fields.cc; the current text is in " CT_BINARY_DIR
           "/record.proto: copy it to docs/record.proto";
  }
}

}  // namespace
}  // namespace clicktrail::event
