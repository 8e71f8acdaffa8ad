// decode_stored(encode(e)) == e, and the same of encode_binary(e), for many generated events:
// unicode, escapes, empty versus absent, nested props, integer extremes.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "base/uuid.h"
#include "event/binary_record.h"
#include "event/decode.h"
#include "event/encode.h"
#include "event/fields.h"

namespace clicktrail::event {
namespace {

// Room for the generator's long strings: these tests are about round trips, not limits.
limits roomy() {
  limits lim;
  lim.max_event_bytes = lim.max_props_bytes = 1 << 20;
  return lim;
}

class generator {
 public:
  explicit generator(std::uint64_t seed) : rng_(seed) {}

  event make() {
    event e;
    for (const field& f : all_fields()) std::visit([&](auto m) { fill(f, e.*m); }, f.where);
    return e;
  }

  // Random JSON object text, with whitespace and escapes, as a tracker might send for props.
  std::string props_text(int depth = 0) {
    std::string out = "{ ";
    const int n = pick(0, 4);
    for (int i = 0; i < n; ++i) {
      if (i) out += " ,\n";
      out += json_string(text()) + " : " + json_value(depth + 1);
    }
    return out + " }";
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::int64_t pick64(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
  }

  std::string text() {
    static constexpr std::string_view pieces[] = {"a",
                                                  "Z",
                                                  "0",
                                                  " ",
                                                  "/",
                                                  "\"",
                                                  "\\",
                                                  "\n",
                                                  "\t",
                                                  std::string_view("\0", 1),
                                                  "\x01",
                                                  "\x1f",
                                                  "\x7f",
                                                  "\xC3\xA9",
                                                  "\xE2\x82\xAC",
                                                  "\xF0\x9F\x98\x80",
                                                  "\xE2\x80\xA8",
                                                  "\xEF\xBB\xBF",
                                                  "\\u0041",
                                                  "abcdefgh",
                                                  "https://shop.example/p?q=1&r=%20"};
    std::string out;
    const int n = pick(0, 9) == 0 ? pick(100, 400) : pick(0, 12);
    for (int i = 0; i < n; ++i) out += pieces[static_cast<std::size_t>(pick(0, std::size(pieces) - 1))];
    return out;
  }

  static std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (u < 0x20) {
        static constexpr char hex[] = "0123456789ABCDEF";
        out += "\\u00";
        out += hex[u >> 4];
        out += hex[u & 0xF];
      } else {
        out += c;
      }
    }
    return out + "\"";
  }

  std::string json_value(int depth) {
    switch (pick(0, depth > 4 ? 4 : 6)) {
      case 0:
        return std::to_string(
            pick64(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()));
      case 1: {
        double d = 0;
        do {
          const std::uint64_t bits = std::uniform_int_distribution<std::uint64_t>()(rng_);
          std::memcpy(&d, &bits, sizeof d);
        } while (!std::isfinite(d));
        char buf[64];
        std::snprintf(buf, sizeof buf, pick(0, 1) ? "%.17g" : "%.3e", d);
        return buf;
      }
      case 2: {
        static constexpr std::string_view atoms[] = {"true",
                                                     "false",
                                                     "null",
                                                     "-0",
                                                     "0.0",
                                                     "-0.0",
                                                     "1E3",
                                                     "18446744073709551615",
                                                     "9223372036854775808",
                                                     "1.5e-320"};
        return std::string(atoms[static_cast<std::size_t>(pick(0, std::size(atoms) - 1))]);
      }
      case 3:
      case 4:
        return json_string(text());
      case 5: {
        std::string out = "[";
        const int n = pick(0, 3);
        for (int i = 0; i < n; ++i) out += (i ? ", " : "") + json_value(depth + 1);
        return out + "]";
      }
      default:
        return props_text(depth);
    }
  }

  // Canonical props, as decode_batch keeps them.
  std::string props() {
    const batch b = decode_batch(R"({"type":"a","props":)" + props_text() + "}", roomy());
    EXPECT_EQ(b.events.size(), 1u) << (b.rejected.empty() ? "" : b.rejected[0].what.detail);
    return b.events.empty() ? "{}" : *b.events[0].props;
  }

  void fill(const field& f, std::string& v) {
    if (f.check == rule::uuid) {
      v = base::make_uuid_v7(pick64(0, 1LL << 47)).to_string();
    } else if (f.check == rule::event_type) {
      static constexpr std::string_view types[] = {"page_view", "click", "identify", "x",
                                                   "video.play:start-1_x"};
      v = types[static_cast<std::size_t>(pick(0, std::size(types) - 1))];
    } else {
      v = text();
    }
  }
  void fill(const field& f, opt_string& v) {
    const int roll = pick(0, 9);
    if (roll < 4) return;  // absent
    if (f.check == rule::json_object) return void(v = props());
    v = roll == 4 ? "" : text();  // empty is not absent
  }
  std::int64_t in_range(const field& f) {
    switch (pick(0, 3)) {
      case 0:
        return f.min;
      case 1:
        return f.max;
      default:
        return pick64(f.min, f.max);
    }
  }
  void fill(const field& f, opt_i64& v) {
    if (pick(0, 2)) v = in_range(f);
  }
  void fill(const field& f, opt_i32& v) {
    if (pick(0, 2)) v = static_cast<std::int32_t>(in_range(f));
  }
  void fill(const field& f, std::int64_t& v) { v = in_range(f); }
  void fill(const field&, std::int32_t&) {}  // schema_version stays 1
  void fill(const field&, std::optional<bool>& v) {
    if (pick(0, 2)) v = pick(0, 1) == 1;
  }
  void fill(const field&, bool& v) { v = pick(0, 1) == 1; }

  std::mt19937_64 rng_;
};

TEST(event_round_trip, decode_stored_of_encode_is_the_event) {
  generator gen(20240601);
  std::string out;
  for (int i = 0; i < 5000; ++i) {
    const event e = gen.make();
    out.clear();
    encode(e, out);
    ASSERT_TRUE(simdjson::validate_utf8(out)) << out;
    const auto back = decode_stored(out);
    ASSERT_TRUE(back.ok()) << back.err().message << "\n" << out;
    ASSERT_TRUE(*back == e) << out;
    std::string again;
    encode(*back, again);
    ASSERT_EQ(again, out);
  }
}

TEST(event_round_trip, decode_stored_of_encode_binary_is_the_event) {
  generator gen(20261206);
  std::string out;
  for (int i = 0; i < 5000; ++i) {
    const event e = gen.make();
    out.clear();
    encode_binary(e, out);
    std::uint64_t named = 0;
    const auto back = decode_stored(out, &named);
    ASSERT_TRUE(back.ok()) << back.err().message;
    ASSERT_TRUE(*back == e);
    // The fields it names are the ones its JSON names: the sink decides by them how to write.
    std::string json;
    encode(e, json);
    std::uint64_t named_in_json = 0;
    ASSERT_TRUE(decode_stored(json, &named_in_json).ok());
    EXPECT_EQ(named, named_in_json) << json;
    std::string again;
    encode_binary(*back, again);
    ASSERT_EQ(again, out);
  }
}

// The sink decodes every record of a partition into one event, whose strings it reuses: each
// decode must leave exactly the record's event, whatever the one before held, in either form.
TEST(event_round_trip, decode_stored_into_an_event_in_use_is_the_event) {
  generator gen(4242);
  event reused;
  for (int i = 0; i < 3000; ++i) {
    const event e = gen.make();
    std::string record;
    if (i % 3 == 0) {
      encode(e, record);
    } else {
      encode_binary(e, record);
    }
    std::uint64_t named = 0, named_fresh = 0;
    ASSERT_TRUE(decode_stored_into(record, reused, &named).ok());
    ASSERT_TRUE(reused == e) << "record " << i << (i % 3 == 0 ? " (JSON)" : " (binary)");
    event fresh;
    ASSERT_TRUE(decode_stored_into(record, fresh, &named_fresh).ok());
    EXPECT_EQ(named, named_fresh);
  }
}

TEST(event_round_trip, props_are_canonical_after_one_decode) {
  generator gen(7);
  for (int i = 0; i < 2000; ++i) {
    const std::string sent = gen.props_text();
    const batch first = decode_batch(R"({"type":"a","props":)" + sent + "}", roomy());
    ASSERT_EQ(first.events.size(), 1u) << sent;
    const std::string canonical = *first.events[0].props;
    const batch second = decode_batch(R"({"type":"a","props":)" + canonical + "}", roomy());
    ASSERT_EQ(second.events.size(), 1u) << canonical;
    EXPECT_EQ(*second.events[0].props, canonical) << sent;
  }
}

TEST(event_round_trip, from_tracker_json_through_the_collector_to_storage) {
  const batch b = decode_batch(
      R"({"sent_ts":1700000000100,"events":[{"type":"click","target_text":"\"Buy\" \u2014 now\\","x":-2147483648,)"
      R"("y":2147483647,"props":{"n":[1,2.50,{"deep":"\u00e9"}]},"page_title":""},{"type":"page_view","user_id":null}]})");
  ASSERT_EQ(b.events.size(), 2u);
  for (event e : b.events) {
    e.event_id = base::make_uuid_v7().to_string();  // what the collector adds
    e.site = "shop";
    e.collector_ts = 1'700'000'000'300;
    e.event_ts = 1'700'000'000'200;
    std::string out;
    encode(e, out);
    const auto back = decode_stored(out);
    ASSERT_TRUE(back.ok()) << back.err().message;
    EXPECT_TRUE(*back == e) << out;
  }
}

}  // namespace
}  // namespace clicktrail::event
