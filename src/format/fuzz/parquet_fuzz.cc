// libFuzzer target: random events, with random codecs, row-group, page and dictionary limits,
// through the Parquet writer; the file must read back (footer and every column chunk) to exactly
// the values written. Any difference aborts, which libFuzzer reports.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

#include "event/fields.h"
#include "format/parquet/file_reader.h"
#include "format/parquet/parquet_writer.h"

namespace {

using namespace clicktrail;
namespace pq = format::parquet;

[[noreturn]] void broken(const std::string& what) {
  std::fprintf(stderr, "broken promise: %s\n", what.c_str());
  std::abort();
}

template <class T>
void fill(FuzzedDataProvider& in, std::optional<T>& v) {
  if (!in.ConsumeBool()) return;
  if constexpr (std::is_same_v<T, std::string>) {
    v = in.ConsumeRandomLengthString(300);
  } else {
    v = in.ConsumeIntegral<T>();
  }
}

event::event random_event(FuzzedDataProvider& in) {
  event::event e;
  for (const auto& f : event::all_fields()) {
    std::visit(
        [&](auto m) {
          auto& member = e.*m;
          using M = std::remove_reference_t<decltype(member)>;
          if constexpr (std::is_same_v<M, std::string>) {
            member = in.ConsumeRandomLengthString(100);
          } else if constexpr (std::is_same_v<M, bool>) {
            member = in.ConsumeBool();
          } else if constexpr (std::is_integral_v<M>) {
            member = in.ConsumeIntegral<M>();
          } else {
            fill(in, member);
          }
        },
        f.where);
  }
  return e;
}

// The cell the reader should give for field `f` of `e`.
pq::cell expected(const event::field& f, const event::event& e) {
  return std::visit(
      [&](auto m) -> pq::cell {
        const auto& v = e.*m;
        using M = std::remove_cvref_t<decltype(v)>;
        if constexpr (std::is_same_v<M, std::string> || std::is_same_v<M, bool> || std::is_integral_v<M>) {
          return v;
        } else {
          if (!v) return std::monostate{};
          return *v;
        }
      },
      f.where);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  static constexpr config::compression codecs[] = {config::compression::zstd, config::compression::snappy,
                                                   config::compression::gzip, config::compression::none};
  format::writer_options options;
  options.codec = codecs[in.ConsumeIntegralInRange(0, 3)];
  options.row_group_rows = in.ConsumeIntegralInRange<std::int64_t>(1, 50);
  pq::column_limits limits;
  limits.page_bytes = in.ConsumeIntegralInRange<std::int64_t>(1, 2000);
  limits.dictionary_bytes = in.ConsumeIntegralInRange<std::int64_t>(0, 2000);

  std::vector<event::event> events;
  while (in.remaining_bytes() > 0 && events.size() < 300) events.push_back(random_event(in));

  std::string file;
  pq::parquet_writer writer(
      options,
      [&](std::string_view b) {
        file.append(b);
        return base::status{};
      },
      limits);
  for (const auto& e : events) {
    if (!writer.append(e, "{}")) broken("append failed");
  }
  if (!writer.finish({{"fuzz", "yes"}})) broken("finish failed");

  auto reader = pq::file_reader::open(file);
  if (!reader) broken("the file does not open: " + reader.err().message);
  const auto& info = reader->info();
  if (info.num_rows != static_cast<std::int64_t>(events.size())) broken("row count");
  const auto fields = event::all_fields();
  if (info.columns.size() != fields.size()) broken("column count");
  std::size_t first = 0;
  for (std::size_t g = 0; g < info.row_groups.size(); ++g) {
    const auto rows = static_cast<std::size_t>(info.row_groups[g].num_rows);
    for (std::size_t c = 0; c < fields.size(); ++c) {
      auto cells = reader->read_column(g, c);
      if (!cells) broken("column " + info.columns[c].name + " does not read: " + cells.err().message);
      if (cells->size() != rows) broken("column " + info.columns[c].name + ": value count");
      for (std::size_t r = 0; r < rows; ++r) {
        if ((*cells)[r] != expected(fields[c], events[first + r])) {
          broken("column " + info.columns[c].name + ", row " + std::to_string(first + r) + ": value differs");
        }
      }
    }
    first += rows;
  }
  if (first != events.size()) broken("rows in row groups");
  return 0;
}
