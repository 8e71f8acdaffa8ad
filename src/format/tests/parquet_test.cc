// The Parquet writer against its own reader (pyarrow and DuckDB judge it independently in
// tests/e2e/test_parquet.py), and the compact-Thrift encoder against bytes worked out by hand
// from the protocol's specification.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "event/fields.h"
#include "format/parquet/file_reader.h"
#include "format/parquet/parquet_writer.h"
#include "format/parquet/rle.h"
#include "format/parquet/thrift_compact.h"
#include "format/parquet/varint.h"

namespace clicktrail::format::parquet {
namespace {

std::string hex(const std::string& s) {
  std::string out;
  for (const char c : s) out += fmt::format("{:02x} ", static_cast<unsigned char>(c));
  if (!out.empty()) out.pop_back();
  return out;
}

TEST(thrift_compact, field_headers_zigzag_and_lists) {
  std::string out;
  compact_writer w(out);
  w.field_i32(1, 3);                        // delta 1, i32: 0x15, zigzag(3) = 6
  w.field_i64(2, -1);                       // delta 1, i64: 0x16, zigzag(-1) = 1
  w.field_i32(20, 8);                       // delta 18 > 15: long form 0x05, zigzag(20) = 40 = 0x28, then 16
  w.begin_list(21, compact_type::i32, 20);  // delta 1, list 0x19; 20 elements: 0xf5 then 20
  for (int i = 0; i < 20; ++i) w.i32_element(0);
  w.field_bool(22, true);  // 0x11
  w.begin_struct(23);      // 0x1c
  w.end_struct();          // 00
  w.end_struct();          // 00
  EXPECT_EQ(hex(out),
            "15 06 16 01 05 28 10 19 f5 14 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 11 1c "
            "00 00");
}

TEST(thrift_compact, timestamp_logical_type_matches_the_worked_example) {
  std::string out;
  compact_writer w(out);
  w.field_i32(6, 9);  // converted_type TIMESTAMP_MILLIS (first field: delta 6)
  w.begin_struct(10);
  w.begin_struct(8);
  w.field_bool(1, true);
  w.begin_struct(2);
  w.begin_struct(1);
  w.end_struct();
  w.end_struct();
  w.end_struct();
  w.end_struct();
  EXPECT_EQ(hex(out), "65 12 4c 8c 11 1c 1c 00 00 00 00");
}

TEST(rle_hybrid, runs_and_bit_packed_groups) {
  std::string out;
  const std::vector<std::uint8_t> ones(20, 1);
  append_rle_hybrid(out, std::span<const std::uint8_t>(ones), 1);
  EXPECT_EQ(hex(out), "28 01");  // one run: count 20 << 1 = 40, value 1 in one byte
  out.clear();
  const std::vector<std::uint32_t> mixed{1, 2, 3};
  append_rle_hybrid(out, std::span<const std::uint32_t>(mixed), 2);
  EXPECT_EQ(hex(out), "03 39 00");  // one group bit-packed: header (1 << 1) | 1, then 01 10 11 00 … LSB first
  EXPECT_EQ(bit_width_for(1), 0);
  EXPECT_EQ(bit_width_for(2), 1);
  EXPECT_EQ(bit_width_for(5), 3);
  EXPECT_EQ(bit_width_for(256), 8);
}

TEST(rle_hybrid, a_repeat_lends_values_to_round_off_the_bit_packed_group_before_it) {
  std::vector<std::uint32_t> values{1, 2, 3};
  values.insert(values.end(), 20, 7);
  std::string out;
  append_rle_hybrid(out, std::span<const std::uint32_t>(values), 3);
  // 1 2 3 and five 7s bit-packed as one group of eight (3 bytes), then a run of the other fifteen.
  EXPECT_EQ(hex(out), "03 d1 fe ff 1e 07");
}

// Every width, with repeats of every length around the run threshold, long repeats, a page of
// one value, and noise, reads back as written.
TEST(rle_hybrid, every_width_reads_back) {
  std::mt19937 random(7);
  for (int width = 0; width <= 32; ++width) {
    const std::uint64_t top = width == 0 ? 1 : std::uint64_t{1} << width;
    auto any = [&] { return static_cast<std::uint32_t>(random() % top); };
    for (int trial = 0; trial < 40; ++trial) {
      std::vector<std::uint32_t> values;
      const std::size_t size = trial == 0 ? 0 : random() % 400;
      while (values.size() < size) {
        const auto repeat = static_cast<std::size_t>(trial % 5 == 1 ? 5000 : random() % 20 + 1);
        values.insert(values.end(), repeat, any());
      }
      std::string out;
      append_rle_hybrid(out, std::span<const std::uint32_t>(values), width);
      std::vector<std::uint32_t> back;
      ASSERT_TRUE(read_rle_hybrid(out, width, values.size(), back)) << "width " << width;
      ASSERT_EQ(back, values) << "width " << width << ", trial " << trial;
      if (width > 0 && width <= 8) {  // the same values as bytes encode alike
        const std::vector<std::uint8_t> bytes(values.begin(), values.end());
        std::string as_bytes;
        append_rle_hybrid(as_bytes, std::span<const std::uint8_t>(bytes), width);
        ASSERT_EQ(hex(as_bytes), hex(out)) << "width " << width << ", trial " << trial;
      }
    }
  }
}

TEST(rle_hybrid, bytes_that_end_early_are_refused) {
  const std::vector<std::uint32_t> values{1, 2, 3, 4, 5, 6, 7, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  std::string out;
  append_rle_hybrid(out, std::span<const std::uint32_t>(values), 3);
  std::vector<std::uint32_t> back;
  for (std::size_t cut = 0; cut < out.size(); ++cut) {
    EXPECT_FALSE(read_rle_hybrid(std::string_view(out).substr(0, cut), 3, values.size(), back)) << cut;
  }
  EXPECT_FALSE(read_rle_hybrid(out, 33, values.size(), back));
}

TEST(varint, reads_every_64_bit_value_and_refuses_more) {
  for (const std::uint64_t v : {std::uint64_t{0}, std::uint64_t{127}, std::uint64_t{128},
                                std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
    std::string out;
    append_varint(out, v);
    std::size_t at = 0;
    std::uint64_t back = 0;
    ASSERT_TRUE(read_varint(out, at, back)) << v;
    EXPECT_EQ(back, v);
    EXPECT_EQ(at, out.size());
  }
  // A tenth byte holds bit 63 alone; an eleventh is never needed; a varint may not be cut short.
  for (const std::string& over :
       {std::string(9, '\xFF') + '\x02', std::string(10, '\xFF') + '\x01', std::string(3, '\xFF')}) {
    std::size_t at = 0;
    std::uint64_t back = 0;
    EXPECT_FALSE(read_varint(over, at, back)) << over.size();
  }
}

event::event sample(int i) {
  event::event e;
  e.event_id = fmt::format("00000000-0000-7000-8000-{:012d}", i);
  e.type = i % 2 ? "click" : "page_view";
  e.site = "demo";
  e.collector_ts = e.event_ts = 1'795'600'800'000 + i;
  if (i % 3) e.page_url = fmt::format("https://me.github.io/post/{}", i % 7);
  if (i % 4 == 0) e.page_title = std::string(static_cast<std::size_t>(i % 50), 'x') + "ü";
  if (i % 5) e.x = i - 50;
  if (i % 2) e.is_bot = i % 4 == 1;
  e.truncated = i % 9 == 0;
  if (i % 6 == 0) e.props = fmt::format("{{\"n\":{}}}", i);
  return e;
}

struct written {
  std::string bytes;
  file_info info;
};

std::string write_file(const std::vector<event::event>& events, writer_options o, column_limits l = {}) {
  std::string bytes;
  parquet_writer w(
      o,
      [&](std::string_view b) {
        bytes.append(b);
        return base::status{};
      },
      l);
  for (const auto& e : events) EXPECT_TRUE(w.append(e, "{}"));
  EXPECT_TRUE(w.finish({{"clicktrail.topic", "t"}}));
  return bytes;
}

class parquet_round_trip : public ::testing::TestWithParam<config::compression> {};

TEST_P(parquet_round_trip, every_value_reads_back) {
  std::vector<event::event> events;
  for (int i = 0; i < 2500; ++i) events.push_back(sample(i));
  writer_options o;
  o.codec = GetParam();
  o.row_group_rows = 1000;
  const auto bytes = write_file(events, o, {.page_bytes = 4096, .dictionary_bytes = 1 << 20});
  auto r = file_reader::open(bytes);
  ASSERT_TRUE(r) << r.err().message;
  const auto& info = r->info();
  EXPECT_EQ(info.num_rows, 2500);
  ASSERT_EQ(info.row_groups.size(), 3u);
  EXPECT_EQ(info.row_groups[2].num_rows, 500);
  EXPECT_EQ(info.key_values.back(), (std::pair<std::string, std::string>{"clicktrail.topic", "t"}));

  const auto column = [&](std::string_view name) {
    for (std::size_t c = 0; c < info.columns.size(); ++c) {
      if (info.columns[c].name == name) return c;
    }
    ADD_FAILURE() << "no column " << name;
    return std::size_t{0};
  };
  std::size_t first = 0;
  for (std::size_t g = 0; g < info.row_groups.size(); ++g) {
    const auto ids = r->read_column(g, column("event_id")).value();
    const auto urls = r->read_column(g, column("page_url")).value();
    const auto xs = r->read_column(g, column("x")).value();
    const auto bots = r->read_column(g, column("is_bot")).value();
    const auto ts = r->read_column(g, column("collector_ts")).value();
    for (std::size_t k = 0; k < ids.size(); ++k) {
      const auto& e = events[first + k];
      EXPECT_EQ(std::get<std::string>(ids[k]), e.event_id);
      EXPECT_EQ(urls[k], e.page_url ? cell(*e.page_url) : cell(std::monostate{}));
      EXPECT_EQ(xs[k], e.x ? cell(*e.x) : cell(std::monostate{}));
      EXPECT_EQ(bots[k], e.is_bot ? cell(*e.is_bot) : cell(std::monostate{}));
      EXPECT_EQ(std::get<std::int64_t>(ts[k]), e.collector_ts);
    }
    first += ids.size();
  }
  EXPECT_EQ(first, events.size());
}

INSTANTIATE_TEST_SUITE_P(codecs, parquet_round_trip,
                         ::testing::Values(config::compression::zstd, config::compression::snappy,
                                           config::compression::gzip, config::compression::none));

// sink.compression_level reaches the codec: each level reads back the same values, the fastest
// and the smallest levels give files of different sizes (a level ignored would not), and 0 is
// the codec's default level.
TEST(parquet_writer, compresses_at_the_configured_level) {
  std::vector<event::event> events;
  for (int i = 0; i < 5000; ++i) events.push_back(sample(i));
  for (const auto& [codec, fastest, smallest, default_level] :
       {std::tuple{config::compression::zstd, 1, 19, 1}, std::tuple{config::compression::gzip, 1, 12, 6}}) {
    std::map<int, std::size_t> size_at;
    for (const int level : {fastest, 0, default_level, smallest}) {
      SCOPED_TRACE(fmt::format("codec {} level {}", static_cast<int>(codec), level));
      writer_options o;
      o.codec = codec;
      o.compression_level = level;
      const auto bytes = write_file(events, o);
      size_at[level] = bytes.size();
      auto r = file_reader::open(bytes);
      ASSERT_TRUE(r) << r.err().message;
      std::size_t event_id = 0;
      while (r->info().columns[event_id].name != "event_id") ++event_id;
      const auto ids = r->read_column(0, event_id).value();
      ASSERT_EQ(ids.size(), events.size());
      for (std::size_t k = 0; k < ids.size(); ++k)
        EXPECT_EQ(std::get<std::string>(ids[k]), events[k].event_id);
    }
    EXPECT_LT(size_at[smallest], size_at[fastest]);
    EXPECT_EQ(size_at[0], size_at[default_level]);
    EXPECT_EQ(effective_level(codec, 0), default_level);
  }
}

TEST(parquet_writer, memory_holds_one_row_group_and_rotation_sees_the_encoded_size) {
  std::int64_t emitted = 0;
  writer_options o;
  o.row_group_rows = 1000;
  parquet_writer w(o, [&](std::string_view b) {
    emitted += static_cast<std::int64_t>(b.size());
    return base::status{};
  });
  for (int i = 0; i < 999; ++i) ASSERT_TRUE(w.append(sample(i), std::string(300, 'j')));
  EXPECT_EQ(emitted, 4) << "only the magic is out before the first row group is complete";
  EXPECT_GT(w.buffered_bytes(), 999 * 40);
  EXPECT_GT(w.encoded_bytes(), 0);
  ASSERT_TRUE(w.append(sample(999), std::string(300, 'j')));
  EXPECT_GT(emitted, 4) << "the full row group went out";
  EXPECT_LT(w.buffered_bytes(), 64 * 1024) << "nothing but empty hash tables is left";
  EXPECT_EQ(w.encoded_bytes(), emitted);
}

TEST(parquet_writer, strings_fall_back_to_plain_when_the_dictionary_is_too_large) {
  std::vector<event::event> events;
  for (int i = 0; i < 300; ++i) {
    events.push_back(sample(i));
    events.back().session_id = fmt::format("session-{:024d}", i);  // 300 × 32 bytes > 2000
  }
  const auto bytes = write_file(events, {}, {.page_bytes = 1 << 20, .dictionary_bytes = 2000});
  auto r = file_reader::open(bytes);
  ASSERT_TRUE(r);
  const auto& chunks = r->info().row_groups[0].columns;
  const auto& columns = r->info().columns;
  std::size_t sessions = columns.size();
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].name == "session_id") {
      sessions = c;
      EXPECT_FALSE(chunks[c].dictionary_page_offset) << "fell back to plain";
    }
    if (columns[c].name == "page_url") {
      EXPECT_TRUE(chunks[c].dictionary_page_offset) << "7 urls stay a dictionary";
    }
  }
  ASSERT_LT(sessions, columns.size());
  const auto values = r->read_column(0, sessions).value();
  ASSERT_EQ(values.size(), events.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(std::get<std::string>(values[i]), *events[i].session_id);
}

// Mostly distinct strings (a session id per event, URLs with click ids) turn plain after the
// first 4,096 values, long before the dictionary's size limit; a column with repeats among its
// first values keeps its dictionary. Every value reads back either way.
TEST(parquet_writer, mostly_distinct_strings_turn_plain_early) {
  std::vector<event::event> events;
  for (int i = 0; i < 6000; ++i) {
    events.push_back(sample(i));
    events.back().session_id = fmt::format("s-{}", i);                         // all distinct
    events.back().anonymous_id = fmt::format("a-{}", i % 5 == 0 ? i - 1 : i);  // 4 in 5 distinct
  }
  const auto bytes = write_file(events, {}, {.page_bytes = 1 << 20, .dictionary_bytes = 1 << 20});
  auto r = file_reader::open(bytes);
  ASSERT_TRUE(r);
  const auto& chunks = r->info().row_groups[0].columns;
  const auto& columns = r->info().columns;
  int checked = 0;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].name != "session_id" && columns[c].name != "anonymous_id") continue;
    const bool sessions = columns[c].name == "session_id";
    EXPECT_EQ(chunks[c].dictionary_page_offset.has_value(), !sessions) << columns[c].name;
    const auto values = r->read_column(0, c).value();
    ASSERT_EQ(values.size(), events.size());
    for (std::size_t i = 0; i < values.size(); ++i)
      ASSERT_EQ(std::get<std::string>(values[i]), sessions ? *events[i].session_id : *events[i].anonymous_id);
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST(parquet_writer, event_ids_are_plain_from_the_start) {
  std::vector<event::event> events;
  for (int i = 0; i < 10; ++i) events.push_back(sample(i));
  auto r = file_reader::open(write_file(events, {}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->info().columns[0].name, "event_id");
  EXPECT_FALSE(r->info().row_groups[0].columns[0].dictionary_page_offset) << "ids are distinct by design";
  EXPECT_TRUE(r->info().row_groups[0].columns[1].dictionary_page_offset) << "type repeats";
  const auto ids = r->read_column(0, 0).value();
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(std::get<std::string>(ids[i]), events[i].event_id);
}

TEST(parquet_writer, column_summaries_span_every_row_group) {
  writer_options o;
  o.row_group_rows = 40;  // 100 events: three row groups
  o.times = time_unit::micros;
  parquet_writer w(o, [](std::string_view) { return base::status{}; });
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(w.append(sample(i), "{}"));
  ASSERT_TRUE(w.finish({}));
  const auto all = w.column_summaries();
  const auto named = [&](std::string_view name) {
    const auto* f = event::find_field(name);
    for (const auto& c : all)
      if (f && c.field_id == f->id) return c;
    ADD_FAILURE() << "no summary of " << name;
    return column_summary{};
  };
  const auto little = [](std::int64_t v, std::size_t width) {
    return std::string(reinterpret_cast<const char*>(&v), width);
  };
  const auto x = named("x");  // i - 50 where i % 5 != 0: -49 … 49
  EXPECT_EQ(x.type, column_summary::kind::int32);
  EXPECT_EQ(x.values, 100);
  EXPECT_EQ(x.nulls, 20);
  EXPECT_EQ(x.min, little(-49, 4)) << "signed, not bytewise: -49 is below 49";
  EXPECT_EQ(x.max, little(49, 4));
  EXPECT_GT(x.bytes, 0);
  const auto type = named("type");
  EXPECT_EQ(type.type, column_summary::kind::text);
  EXPECT_EQ(type.min, "click");
  EXPECT_EQ(type.max, "page_view");
  const auto ts = named("collector_ts");  // microseconds: a table's timestamptz
  EXPECT_EQ(ts.type, column_summary::kind::int64);
  EXPECT_EQ(ts.min, little(1'795'600'800'000'000, 8));
  EXPECT_EQ(ts.max, little(1'795'600'800'099'000, 8));
  const auto user = named("user_id");
  EXPECT_EQ(user.nulls, 100);
  EXPECT_FALSE(user.min);
  EXPECT_FALSE(user.max);
}

TEST(parquet_writer, a_column_with_a_row_group_too_long_for_statistics_has_no_bounds) {
  writer_options o;
  o.row_group_rows = 2;
  parquet_writer w(o, [](std::string_view) { return base::status{}; });
  auto e = sample(1);
  e.page_title = "short";
  ASSERT_TRUE(w.append(e, "{}"));
  ASSERT_TRUE(w.append(e, "{}"));
  e.page_title =
      std::string(5000, 'z');  // over the 4 KiB column.cc keeps statistics of: none for its row group
  ASSERT_TRUE(w.append(e, "{}"));
  ASSERT_TRUE(w.finish({}));
  bool seen = false;
  for (const auto& c : w.column_summaries()) {
    if (c.field_id != event::find_field("page_title")->id) continue;
    seen = true;
    EXPECT_EQ(c.values, 3);
    EXPECT_FALSE(c.min) << "\"short\" would bound a file that holds \"zzz…\" below it";
    EXPECT_FALSE(c.max);
  }
  EXPECT_TRUE(seen);
}

TEST(parquet_writer, millisecond_times_have_no_bounds_a_table_would_misread) {
  parquet_writer w(writer_options{}, [](std::string_view) { return base::status{}; });
  ASSERT_TRUE(w.append(sample(1), "{}"));
  ASSERT_TRUE(w.finish({}));
  for (const auto& c : w.column_summaries()) {
    if (c.field_id != event::find_field("collector_ts")->id) continue;
    EXPECT_EQ(c.type, column_summary::kind::other);
    EXPECT_FALSE(c.min);
  }
}

TEST(file_reader, a_damaged_file_is_an_error_that_says_so) {
  const auto bytes = write_file({sample(1), sample(2)}, {});
  for (const std::string& damaged :
       {std::string("PAR1"), bytes.substr(0, bytes.size() / 2) + "PAR1", "XXXX" + bytes.substr(4),
        bytes.substr(0, bytes.size() - 9) + "\x7f\x7f\x7f\x7f" + "PAR1"}) {
    auto r = file_reader::open(damaged);
    if (r) continue;  // a cut that still parses is fine, as long as nothing crashes
    EXPECT_NE(r.err().message.find("Parquet"), std::string::npos) << r.err().message;
  }
  EXPECT_FALSE(file_reader::open("PAR1"));
}

}  // namespace
}  // namespace clicktrail::format::parquet
