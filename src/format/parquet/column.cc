#include "format/parquet/column.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>
#include <variant>

#include "event/fields.h"
#include "format/parquet/rle.h"
#include "format/parquet/string_dictionary.h"

namespace clicktrail::format::parquet {
namespace {

// Statistics of strings longer than this are left out, as Arrow does: a footer stays small, and
// a truncated max would need care to stay a valid upper bound.
constexpr std::size_t max_statistics_bytes = 4096;

// A string column's values at which it checks whether they are mostly distinct.
constexpr std::size_t distinct_check_at = 4096;

void append_u32(std::string& out, std::uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);  // Parquet is little-endian, as is every host we build for
  out.append(b, 4);
}

template <class T>
std::string plain_bytes(T v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof v);
}

}  // namespace

// Where a column's values are in an event: a member every event has, or an optional one.
template <class T>
struct member_of {
  T event::event::*always = nullptr;
  std::optional<T> event::event::*maybe = nullptr;

  // Which of the two is known where the columns are kept (event_columns), so that appending a
  // row does not ask each column.
  template <bool Maybe>
  const T* in(const event::event& e) const {
    if constexpr (Maybe) {
      const auto& v = e.*maybe;
      return v ? &*v : nullptr;
    } else {
      return &(e.*always);
    }
  }
};

// BYTE_ARRAY strings. `distinct`: every value differs (event ids), so the column is PLAIN from
// the start rather than filling a dictionary only to drop it.
class string_column final : public column {
 public:
  string_column(column_schema s, const column_limits& l, member_of<std::string> source, bool distinct)
      : column(std::move(s), l), source_(source) {
    if (distinct) dictionary_.reset();
  }

  template <bool Maybe>
  [[gnu::always_inline]] void append(const event::event& e) {
    const std::string* v = source_.template in<Maybe>(e);
    count_row(v != nullptr);
    if (v == nullptr) return;
    if (!dictionary_) {
      append_plain(*v);
      return;
    }
    indices_.push_back(dictionary_->index_of(*v));
    if (dictionary_->encoded_bytes() > limits_.dictionary_bytes) {
      fall_back_to_plain();
    } else if (indices_.size() == distinct_check_at && dictionary_->count() * 10 >= distinct_check_at * 9) {
      // Nine in ten of the first values new (session ids, URLs with click ids): a dictionary
      // would be as large as the values and cost a lookup each; plain from here, as the size
      // limit above would have decided later, after every lookup.
      fall_back_to_plain();
    }
  }

 private:
  // The dictionary grew too large for this chunk: its values become plain ones.
  void fall_back_to_plain() {
    for (const std::uint32_t i : indices_) append_plain(dictionary_->at(i));
    indices_.clear();
    indices_.shrink_to_fit();
    dictionary_.reset();
  }

  std::int64_t value_bytes() const override {
    return static_cast<std::int64_t>(plain_.size() + 8 * plain_ends_.size() + 4 * indices_.size()) +
           (dictionary_ ? dictionary_->memory() : 0);
  }
  std::size_t value_count() const override { return dictionary_ ? indices_.size() : plain_ends_.size(); }

  // Values are kept PLAIN-encoded, each after its 4-byte length, so that a page of them is
  // one copy.
  void append_plain(std::string_view v) {
    append_u32(plain_, static_cast<std::uint32_t>(v.size()));
    plain_.append(v);
    plain_ends_.push_back(plain_.size());
  }
  std::size_t plain_begin(std::size_t i) const { return i == 0 ? 0 : plain_ends_[i - 1]; }
  std::string_view plain_at(std::size_t i) const {
    const std::size_t begin = plain_begin(i) + 4;
    return std::string_view(plain_).substr(begin, plain_ends_[i] - begin);
  }

  base::result<encoding> begin_chunk(page_writer& pages, column_chunk_meta& meta) override {
    if (!dictionary_) {
      meta.encodings = {encoding::plain, encoding::rle};
      return encoding::plain;
    }
    meta.encodings = {encoding::plain, encoding::rle, encoding::rle_dictionary};
    width_ = bit_width_for(dictionary_->count());
    std::string body;
    body.reserve(static_cast<std::size_t>(dictionary_->encoded_bytes()));
    for (std::size_t i = 0; i < dictionary_->count(); ++i) {
      const auto v = dictionary_->at(i);
      append_u32(body, static_cast<std::uint32_t>(v.size()));
      body.append(v);
    }
    if (auto s = pages.dictionary_page(static_cast<std::int32_t>(dictionary_->count()), body, meta); !s) {
      return std::move(s).err();
    }
    return encoding::rle_dictionary;
  }

  std::int64_t fixed_value_cost() const override { return dictionary_ ? std::max(1, (width_ + 7) / 8) : 0; }
  std::int64_t value_cost(std::size_t i) const override {
    return static_cast<std::int64_t>(plain_ends_[i] - plain_begin(i));
  }

  void encode_values(std::size_t from, std::size_t to, std::string& out) const override {
    if (dictionary_) {
      out.push_back(static_cast<char>(width_));
      append_rle_hybrid(out, std::span(indices_).subspan(from, to - from), width_);
      return;
    }
    if (from < to) out.append(plain_, plain_begin(from), plain_ends_[to - 1] - plain_begin(from));
  }

  void set_min_max(statistics& s) const override {
    std::string_view lo, hi;
    bool first = true;
    auto see = [&](std::string_view v) {
      if (first || v < lo) lo = v;  // string_view compares bytes as unsigned char: Parquet's order
      if (first || v > hi) hi = v;
      first = false;
    };
    if (dictionary_) {
      for (std::size_t i = 0; i < dictionary_->count(); ++i) see(dictionary_->at(i));
    } else {
      for (std::size_t i = 0; i < plain_ends_.size(); ++i) see(plain_at(i));
    }
    if (lo.size() > max_statistics_bytes || hi.size() > max_statistics_bytes) return;
    s.min_value = std::string(lo);
    s.max_value = std::string(hi);
  }

  // A chunk that fell back to plain is followed by plain ones: its values are mostly distinct
  // (ids), and filling a dictionary only to drop it costs more than all the rest of the column.
  void clear_values() override {
    plain_.clear();
    plain_ends_.clear();
    indices_.clear();
    if (dictionary_) dictionary_->clear();
  }

  member_of<std::string> source_;
  std::optional<string_dictionary> dictionary_{std::in_place};  // absent once fallen back to plain
  std::vector<std::uint32_t> indices_;                          // dictionary: one per value
  std::string plain_;                                           // plain: each value's length, then it
  std::vector<std::size_t> plain_ends_;
  int width_ = 0;  // bits per dictionary index, set when the chunk is written
};

// INT32 and INT64 (timestamps: the event's milliseconds times `scale`).
template <class T>
class int_column final : public column {
 public:
  int_column(column_schema s, const column_limits& l, member_of<T> source, T scale)
      : column(std::move(s), l), source_(source), scale_(scale) {}

  template <bool Maybe>
  [[gnu::always_inline]] void append(const event::event& e) {
    const T* p = source_.template in<Maybe>(e);
    count_row(p != nullptr);
    if (p == nullptr) return;
    const T v = *p * scale_;
    if (values_.empty()) {
      lo_ = hi_ = v;
    } else {
      lo_ = std::min(lo_, v);
      hi_ = std::max(hi_, v);
    }
    values_.push_back(v);
  }

 private:
  std::int64_t value_bytes() const override { return static_cast<std::int64_t>(sizeof(T) * values_.size()); }
  std::size_t value_count() const override { return values_.size(); }
  std::int64_t fixed_value_cost() const override { return sizeof(T); }
  void encode_values(std::size_t from, std::size_t to, std::string& out) const override {
    out.append(reinterpret_cast<const char*>(values_.data() + from), (to - from) * sizeof(T));
  }
  void set_min_max(statistics& s) const override {
    s.min_value = plain_bytes(lo_);
    s.max_value = plain_bytes(hi_);
  }
  void clear_values() override { values_.clear(); }

  member_of<T> source_;
  T scale_;
  std::vector<T> values_;
  T lo_{}, hi_{};
};

// BOOLEAN, bit-packed.
class bool_column final : public column {
 public:
  bool_column(column_schema s, const column_limits& l, member_of<bool> source)
      : column(std::move(s), l), source_(source) {}

  template <bool Maybe>
  [[gnu::always_inline]] void append(const event::event& e) {
    const bool* v = source_.template in<Maybe>(e);
    count_row(v != nullptr);
    if (v != nullptr) values_.push_back(*v ? 1 : 0);
  }

 private:
  std::int64_t value_bytes() const override { return static_cast<std::int64_t>(values_.size()); }
  std::size_t value_count() const override { return values_.size(); }
  std::int64_t fixed_value_cost() const override { return 1; }
  void encode_values(std::size_t from, std::size_t to, std::string& out) const override {
    for (std::size_t i = from; i < to; i += 8) {
      std::uint8_t byte = 0;
      for (std::size_t b = 0; b < 8 && i + b < to; ++b)
        byte |= static_cast<std::uint8_t>(values_[i + b] << b);
      out.push_back(static_cast<char>(byte));
    }
  }
  void set_min_max(statistics& s) const override {
    const bool any_true = std::find(values_.begin(), values_.end(), 1) != values_.end();
    const bool any_false = std::find(values_.begin(), values_.end(), 0) != values_.end();
    s.min_value = std::string(1, any_false ? '\0' : '\1');
    s.max_value = std::string(1, any_true ? '\1' : '\0');
  }
  void clear_values() override { values_.clear(); }

  member_of<bool> source_;
  std::vector<std::uint8_t> values_;
};

event_columns::event_columns(const column_limits& l, time_unit times) {
  // A time column's values: milliseconds as the event has them, or microseconds.
  const std::int64_t scale = times == time_unit::micros ? 1000 : 1;
  const logical_type timestamp =
      times == time_unit::micros ? logical_type::timestamp_us_utc : logical_type::timestamp_ms_utc;
  using ev = event::event;
  for (const event::field& f : event::all_fields()) {
    // The column's physical and logical type follow from the member's C++ type, and a 64-bit
    // integer's from its rule (a time in ms, or a plain number such as geo_asn).
    column_schema s{.name = std::string(f.name), .field_id = f.id};
    const bool required = event::is_required(f);
    s.optional = !required;
    std::visit(
        [&](auto m) {
          using member = std::remove_cvref_t<decltype(std::declval<const ev&>().*m)>;
          auto keep = [&](auto& by_type, auto column) {
            in_order_.push_back(column.get());
            (event::is_optional_member<member> ? by_type.maybe : by_type.always).push_back(std::move(column));
          };
          auto source = [m]<class T>(std::type_identity<T>) {
            member_of<T> out;
            if constexpr (std::is_same_v<member, T>)
              out.always = m;
            else
              out.maybe = m;
            return out;
          };
          if constexpr (std::is_same_v<member, std::string> || std::is_same_v<member, event::opt_string>) {
            s.type = physical_type::byte_array;
            s.logical = f.check == event::rule::json_object ? logical_type::json : logical_type::string;
            keep(strings_,
                 std::make_unique<string_column>(std::move(s), l, source(std::type_identity<std::string>{}),
                                                 f.check == event::rule::uuid));
          } else if constexpr (std::is_same_v<member, std::int64_t> ||
                               std::is_same_v<member, event::opt_i64>) {
            s.type = physical_type::int64;
            const bool time = f.check == event::rule::unix_ms;
            s.logical = time ? timestamp : logical_type::int64;
            keep(int64s_, std::make_unique<int_column<std::int64_t>>(
                              std::move(s), l, source(std::type_identity<std::int64_t>{}), time ? scale : 1));
          } else if constexpr (std::is_same_v<member, std::int32_t> ||
                               std::is_same_v<member, event::opt_i32>) {
            s.type = physical_type::int32, s.logical = logical_type::int32;
            keep(int32s_, std::make_unique<int_column<std::int32_t>>(
                              std::move(s), l, source(std::type_identity<std::int32_t>{}), 1));
          } else {
            static_assert(std::is_same_v<member, bool> || std::is_same_v<member, std::optional<bool>>,
                          "a field type the Parquet writer does not know");
            s.type = physical_type::boolean;
            keep(bools_, std::make_unique<bool_column>(std::move(s), l, source(std::type_identity<bool>{})));
          }
        },
        f.where);
  }
}

event_columns::~event_columns() = default;

namespace {

template <class C>
[[gnu::always_inline]] inline void append_to(const columns_of<C>& columns, const event::event& e) {
  for (const auto& c : columns.always) c->template append<false>(e);
  for (const auto& c : columns.maybe) c->template append<true>(e);
}

}  // namespace

void event_columns::append(const event::event& e) {
  append_to(strings_, e);
  append_to(int64s_, e);
  append_to(int32s_, e);
  append_to(bools_, e);
}

base::status column::flush(page_writer& pages, column_chunk_meta& meta, std::int64_t row_count) {
  auto values = begin_chunk(pages, meta);
  if (!values) return std::move(values).err();
  std::size_t row = 0, value = 0;
  const auto rows = static_cast<std::size_t>(row_count);
  const std::size_t value_total = value_count();
  const std::int64_t fixed = fixed_value_cost();
  while (row < rows) {
    // A page: rows until its values reach page_bytes.
    std::size_t row_end = row, value_end = value;
    if (fixed > 0) {
      const auto per_page = static_cast<std::size_t>(std::max<std::int64_t>(1, limits_.page_bytes / fixed));
      if (!schema_.optional) {
        row_end = std::min(rows, row + per_page);
        value_end = value + (row_end - row);
      } else if (value_total - value <= per_page) {
        row_end = rows;  // the rest fits one page: no need to count its values
        value_end = value_total;
      } else {
        while (row_end < rows && value_end - value < per_page) value_end += defs_[row_end++];
      }
    } else {
      std::int64_t bytes = 0;
      while (row_end < rows && bytes < limits_.page_bytes) {
        if (!schema_.optional || defs_[row_end]) bytes += value_cost(value_end++);
        ++row_end;
      }
    }
    body_.clear();
    if (schema_.optional) {
      levels_.clear();
      append_rle_hybrid(levels_, std::span(defs_).subspan(row, row_end - row), 1);
      append_u32(body_, static_cast<std::uint32_t>(levels_.size()));
      body_.append(levels_);
    }
    encode_values(value, value_end, body_);
    if (auto s = pages.data_page(static_cast<std::int32_t>(row_end - row), *values, body_, meta); !s)
      return s;
    row = row_end;
    value = value_end;
  }
  meta.stats.null_count = static_cast<std::int64_t>(rows - value_total);
  if (value > 0) set_min_max(meta.stats);
  clear_values();
  defs_.clear();
  return {};
}

}  // namespace clicktrail::format::parquet
