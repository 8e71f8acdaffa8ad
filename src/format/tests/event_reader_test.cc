// Events read back from Parquet are the events written: every field, every kind of value, null or
// not, with the time columns in milliseconds or microseconds.

#include "format/parquet/event_reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <type_traits>
#include <vector>

#include "format/parquet/parquet_writer.h"

namespace clicktrail::format::parquet {
namespace {

// Every field set (null in every third event where it may be), each to a value of its own.
event::event full_event(int i) {
  event::event e;
  for (const event::field& f : event::all_fields()) {
    const auto n = static_cast<int>(event::field_index(f));
    std::visit(
        [&](auto m) {
          auto& member = e.*m;
          using M = std::remove_cvref_t<decltype(member)>;
          if constexpr (std::is_same_v<M, std::string> || std::is_same_v<M, event::opt_string>) {
            if constexpr (!std::is_same_v<M, std::string>)
              if ((i + n) % 3 == 0) return;
            member = fmt::format("{}-{}", f.name, i);
          } else if constexpr (std::is_same_v<M, bool>) {
            member = (i + n) % 2 == 0;
          } else if constexpr (std::is_same_v<M, std::optional<bool>>) {
            if ((i + n) % 3) member = (i + n) % 2 == 0;
          } else if constexpr (std::is_integral_v<M>) {
            member = static_cast<M>(1'795'600'800'000LL % 1'000'000 + i * 7 + n);
          } else {
            if ((i + n) % 3) member = static_cast<typename M::value_type>(1'795'600'800'000LL + i * 7 + n);
          }
        },
        f.where);
  }
  e.event_id = fmt::format("00000000-0000-7000-8000-{:012d}", i);
  e.collector_ts = 1'795'600'800'000 + i;
  e.event_ts = e.collector_ts - 5;
  e.version = event::schema_version;
  return e;
}

std::string file_of(const std::vector<event::event>& events, time_unit times) {
  std::string bytes;
  writer_options o;
  o.row_group_rows = 40;
  o.times = times;
  parquet_writer w(o, [&](std::string_view b) {
    bytes.append(b);
    return base::status{};
  });
  for (const auto& e : events) EXPECT_TRUE(w.append(e, "{}"));
  EXPECT_TRUE(w.finish({}));
  return bytes;
}

class event_reader_units : public ::testing::TestWithParam<time_unit> {};

TEST_P(event_reader_units, every_field_of_every_event_reads_back) {
  std::vector<event::event> events;
  for (int i = 0; i < 100; ++i) events.push_back(full_event(i));
  auto reader = event_reader::open(file_of(events, GetParam()), "f.parquet");
  ASSERT_TRUE(reader) << reader.err().message;
  EXPECT_EQ(reader->rows(), 100);
  std::size_t at = 0;
  ASSERT_TRUE(reader->for_each([&](const event::event& e) {
    EXPECT_EQ(e, events.at(at)) << "row " << at;
    ++at;
    return base::status{};
  }));
  EXPECT_EQ(at, events.size());
}

INSTANTIATE_TEST_SUITE_P(times, event_reader_units, ::testing::Values(time_unit::millis, time_unit::micros));

TEST(event_reader, an_error_of_the_callback_stops_the_reading) {
  auto reader = event_reader::open(file_of({full_event(1), full_event(2)}, time_unit::millis), "f.parquet");
  ASSERT_TRUE(reader);
  int seen = 0;
  const auto s = reader->for_each([&](const event::event&) {
    ++seen;
    return base::status(base::error::fail("stop"));
  });
  EXPECT_FALSE(s);
  EXPECT_EQ(seen, 1);
}

TEST(event_reader, a_file_that_is_not_parquet_is_named_in_the_error) {
  auto reader = event_reader::open("not a parquet file at all", "data/x.parquet");
  ASSERT_FALSE(reader);
  EXPECT_NE(reader.err().message.find("data/x.parquet"), std::string::npos) << reader.err().message;
}

}  // namespace
}  // namespace clicktrail::format::parquet
