#include "format/parquet/event_reader.h"

#include <fmt/format.h>

#include <type_traits>
#include <variant>

namespace clicktrail::format::parquet {
namespace {

// Parquet's physical types (the specification's Type enum) for the schema's kinds of value.
constexpr std::int32_t boolean_type = 0, int32_type = 1, int64_type = 2, byte_array_type = 6;

std::int32_t physical_of(event::value_kind kind) {
  switch (kind) {
    case event::value_kind::text:
    case event::value_kind::json:
      return byte_array_type;
    case event::value_kind::timestamp:
    case event::value_kind::int64:
      return int64_type;
    case event::value_kind::int32:
      return int32_type;
    case event::value_kind::boolean:
      return boolean_type;
  }
  return -1;
}

std::int64_t divisor_of(std::string_view logical) {
  if (logical.starts_with("TIMESTAMP(MICROS")) return 1000;
  if (logical.starts_with("TIMESTAMP(NANOS")) return 1'000'000;
  return 1;
}

// Puts one cell into the member of the field; false when the cell is null and the member cannot
// be (the physical type was checked when the file opened).
struct cell_setter {
  event::event& e;
  const cell& value;
  std::int64_t divisor;

  template <class Member>
  bool operator()(Member event::event::*where) const {
    auto& member = e.*where;
    using M = std::remove_cvref_t<decltype(member)>;
    if (std::holds_alternative<std::monostate>(value)) {
      if constexpr (std::is_same_v<M, std::string> || std::is_same_v<M, bool> || std::is_integral_v<M>) {
        return false;
      } else {
        member.reset();
        return true;
      }
    }
    if constexpr (std::is_same_v<M, std::string> || std::is_same_v<M, event::opt_string>) {
      member = std::get<std::string>(value);
    } else if constexpr (std::is_same_v<M, std::int64_t> || std::is_same_v<M, event::opt_i64>) {
      member = std::get<std::int64_t>(value) / divisor;
    } else if constexpr (std::is_same_v<M, std::int32_t> || std::is_same_v<M, event::opt_i32>) {
      member = std::get<std::int32_t>(value);
    } else {
      member = std::get<bool>(value);
    }
    return true;
  }
};

}  // namespace

base::result<event_reader> event_reader::open(std::string bytes, std::string name) {
  auto file = file_reader::open(std::move(bytes));
  if (!file) return base::error::reject(fmt::format("{}: {}", name, file.err().message));
  event_reader r(std::move(file).value(), std::move(name));
  std::vector<bool> present(event::all_fields().size(), false);
  for (const column_info& c : r.file_.info().columns) {
    const event::field* f = event::find_field(c.name);
    if (f == nullptr) {
      return base::error::reject(
          fmt::format("{}: its column \"{}\" is not in this version's schema, and rewriting the file would "
                      "lose it; use the clicktrail version (or the engine) that wrote it",
                      r.name_, c.name));
    }
    const auto kind = event::kind_of(*f);
    if (c.physical != physical_of(kind)) {
      return base::error::reject(fmt::format("{}: its column \"{}\" is {}, where the schema's field is {}",
                                             r.name_, c.name, physical_type_name(c.physical),
                                             physical_type_name(physical_of(kind))));
    }
    present[event::field_index(*f)] = true;
    r.columns_.push_back({f, kind == event::value_kind::timestamp ? divisor_of(c.logical) : 1});
  }
  for (const event::field& f : event::all_fields()) {
    if (event::is_required(f) && !present[event::field_index(f)]) {
      return base::error::reject(fmt::format(
          "{}: it has no column \"{}\", which every event has; it is not a file of events", r.name_, f.name));
    }
  }
  return r;
}

base::status event_reader::for_each(const std::function<base::status(const event::event&)>& each) const {
  const file_info& info = file_.info();
  std::vector<std::vector<cell>> cells(columns_.size());
  for (std::size_t g = 0; g < info.row_groups.size(); ++g) {
    const auto rows = static_cast<std::size_t>(info.row_groups[g].num_rows);
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      auto read = file_.read_column(g, c);
      if (!read) return base::error::reject(fmt::format("{}: {}", name_, read.err().message));
      if (read->size() != rows) {
        return base::error::reject(fmt::format("{}: row group {} has {} rows but {} values in column \"{}\"",
                                               name_, g, rows, read->size(), columns_[c].field->name));
      }
      cells[c] = std::move(read).value();
    }
    for (std::size_t r = 0; r < rows; ++r) {
      event::event e;
      for (std::size_t c = 0; c < columns_.size(); ++c) {
        const column_map& m = columns_[c];
        if (!std::visit(cell_setter{e, cells[c][r], m.time_divisor}, m.field->where)) {
          return base::error::reject(fmt::format(
              "{}: row {} of row group {} has no \"{}\", which every event has", name_, r, g, m.field->name));
        }
      }
      if (auto s = each(e); !s) return s;
    }
  }
  return {};
}

}  // namespace clicktrail::format::parquet
