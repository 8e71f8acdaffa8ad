#include "event/fields.h"

#include <array>
#include <cstring>
#include <limits>
#include <utility>

#include "event/field_table.h"
#include "event/json_text.h"

namespace clicktrail::event {
namespace {

using detail::table;

// An open-addressing hash table of the names, built at compile time, with each name stored in
// its slot: a lookup hashes four bytes and usually compares one name, in one cache line, for
// every key of every event.
constexpr std::size_t slots = 128;
constexpr std::size_t longest_name = 24;

struct name_slot {
  char name[longest_name] = {};
  std::uint8_t size = 0;  // 0: empty
  std::uint8_t row = 0;   // the field's index in `table`
};

constexpr std::size_t slot_of(std::string_view name) noexcept {
  const auto byte = [&](std::size_t i) {
    return static_cast<std::size_t>(static_cast<unsigned char>(name[i]));
  };
  return (name.size() * 131 + byte(0) * 31 + byte(name.size() - 1) * 7 + byte(name.size() / 2)) % slots;
}

constexpr std::array<name_slot, slots> make_name_index() {
  std::array<name_slot, slots> index{};
  for (std::size_t i = 0; i < table.size(); ++i) {
    const std::string_view name = table[i].name;
    if (name.empty() || name.size() > longest_name)
      throw "a field name is empty or too long";  // fails compilation
    std::size_t at = slot_of(name);
    while (index[at].size != 0) at = (at + 1) % slots;
    for (std::size_t c = 0; c < name.size(); ++c) index[at].name[c] = name[c];
    index[at].size = static_cast<std::uint8_t>(name.size());
    index[at].row = static_cast<std::uint8_t>(i);
  }
  return index;
}
constexpr std::array<name_slot, slots> name_index = make_name_index();

std::uint64_t load8(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
std::uint32_t load4(const char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Names are short (at most 24 bytes): compare them a word at a time, the first and last words
// overlapping, rather than byte by byte or through a call to memcmp.
bool same(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char *x = a.data(), *y = b.data();
  if (n >= 8) {
    return load8(x) == load8(y) && load8(x + n - 8) == load8(y + n - 8) &&
           (n <= 16 || load8(x + 8) == load8(y + 8));
  }
  if (n >= 4) return load4(x) == load4(y) && load4(x + n - 4) == load4(y + n - 4);
  for (std::size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return false;
  }
  return true;
}

}  // namespace

std::size_t sink_fields_begin() noexcept {
  static const std::size_t first = field_index(*find_field("ua_browser"));
  return first;
}

std::span<const field> all_fields() noexcept {
  return table;
}

value_kind kind_of(const field& f) noexcept {
  if (f.check == rule::json_object) return value_kind::json;
  if (f.check == rule::unix_ms) return value_kind::timestamp;
  return std::visit(
      [](auto m) {
        using member = std::remove_cvref_t<decltype(std::declval<const event&>().*m)>;
        if constexpr (std::is_same_v<member, std::string> || std::is_same_v<member, opt_string>)
          return value_kind::text;
        else if constexpr (std::is_same_v<member, std::int64_t> || std::is_same_v<member, opt_i64>)
          return value_kind::int64;
        else if constexpr (std::is_same_v<member, std::int32_t> || std::is_same_v<member, opt_i32>)
          return value_kind::int32;
        else
          return value_kind::boolean;
      },
      f.where);
}

std::uint64_t always_written_fields() noexcept {
  static const std::uint64_t set = [] {
    std::uint64_t s = 0;
    for (const field& f : all_fields()) {
      if (is_required(f) && !std::holds_alternative<bool event::*>(f.where)) s |= 1ULL << field_index(f);
    }
    return s;
  }();
  return set;
}

bool is_required(const field& f) noexcept {
  return std::visit(
      [](auto m) {
        using member = std::remove_cvref_t<decltype(std::declval<const event&>().*m)>;
        return std::is_same_v<member, std::string> || std::is_same_v<member, std::int64_t> ||
               std::is_same_v<member, std::int32_t> || std::is_same_v<member, bool>;
      },
      f.where);
}

namespace {

// Field I cut to its column limit when it is free text (rule none) and not before `first`. The
// collector cuts every event it stamps: the loop over the table is unrolled while compiling
// (cut_fields), each member and limit a constant, rather than walking a list of them (~450
// instructions an event) or the whole table's variants (~650).
template <std::size_t I>
[[gnu::always_inline]] inline bool cut_field(event& e, std::size_t first) {
  constexpr const field& f = table[I];
  if constexpr (std::holds_alternative<opt_string event::*>(f.where) && f.check == rule::none) {
    opt_string& value = e.*std::get<opt_string event::*>(f.where);
    if (I >= first && value && value->size() > f.max_bytes) [[unlikely]] {
      value->resize(cut_utf8(*value, f.max_bytes).size());
      return true;
    }
  }
  return false;
}

template <std::size_t... I>
bool cut_fields(event& e, std::size_t first, std::index_sequence<I...>) {
  return (cut_field<I>(e, first) | ...);
}

}  // namespace

bool cut_to_column_limits_from(event& e, std::size_t first) {
  return cut_fields(e, first, std::make_index_sequence<table.size()>());
}

bool cut_to_column_limits(event& e) {
  const bool cut = cut_to_column_limits_from(e, 0);
  if (cut) e.truncated = true;
  return cut;
}

const field* find_field(std::string_view name) noexcept {
  if (name.empty() || name.size() > longest_name) return nullptr;
  for (std::size_t at = slot_of(name); name_index[at].size != 0; at = (at + 1) % slots) {
    const name_slot& slot = name_index[at];
    if (same({slot.name, slot.size}, name)) return &table[slot.row];
  }
  return nullptr;
}

}  // namespace clicktrail::event
