#include "event/encode.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>
#include <variant>

#include "event/binary_record.h"
#include "event/field_table.h"
#include "event/fields.h"
#include "event/grow_ahead.h"
#include "event/json_parser.h"
#include "event/json_text.h"
#include "event/read_event.h"

namespace clicktrail::event {
namespace {

// `,"name":` of field I, made while compiling: one copy of known length per field written.
template <std::size_t I>
constexpr auto quoted_key() {
  constexpr std::string_view name = detail::table[I].name;
  std::array<char, name.size() + 4> key{};
  key[0] = ',';
  key[1] = '"';
  for (std::size_t c = 0; c < name.size(); ++c) key[c + 2] = name[c];
  key[name.size() + 2] = '"';
  key[name.size() + 3] = ':';
  return key;
}
template <std::size_t I>
inline constexpr auto quoted_key_v = quoted_key<I>();

// Writes one member as `"name":value`, or nothing when it is absent (and `truncated` when false),
// at `p`, in `out` grown ahead of it (grow_ahead.h), as encode_binary writes.
struct member_writer {
  const field& f;
  std::string_view key;  // ,"name":
  std::string& out;
  char*& p;

  [[gnu::always_inline]] void room(std::size_t n) const { grow_ahead(out, p, n); }
  [[gnu::always_inline]] void put_key() const {
    std::memcpy(p, key.data(), key.size());
    p += key.size();
  }
  [[gnu::always_inline]] void text(std::string_view v) const {
    room(key.size() + v.size() + 2 + plain_string_slack);
    put_key();
    if (char* end = put_plain_string(p, v)) {
      p = end;
      return;
    }
    // Something to escape or replace: write_string appends it to what is written so far.
    out.resize(static_cast<std::size_t>(p - out.data()));
    write_string(out, v);
    p = out.data() + out.size();
  }
  [[gnu::always_inline]] void integer(std::int64_t v) const {
    room(key.size() + max_int_bytes);
    put_key();
    p = put_int(p, v);
  }
  [[gnu::always_inline]] void literal(std::string_view v) const {
    room(key.size() + v.size());
    put_key();
    std::memcpy(p, v.data(), v.size());
    p += v.size();
  }

  [[gnu::always_inline]] void operator()(const std::string& v) const { text(v); }
  [[gnu::always_inline]] void operator()(const opt_string& v) const {
    if (!v) return;
    // props holds the compact JSON object text that decoding wrote; it is embedded as is.
    if (f.check == rule::json_object) {
      assert(!v->empty() && v->front() == '{');
      literal(*v);
    } else {
      text(*v);
    }
  }
  [[gnu::always_inline]] void operator()(std::int64_t v) const { integer(v); }
  [[gnu::always_inline]] void operator()(std::int32_t v) const { integer(v); }
  [[gnu::always_inline]] void operator()(const opt_i64& v) const {
    if (v) integer(*v);
  }
  [[gnu::always_inline]] void operator()(const opt_i32& v) const {
    if (v) integer(*v);
  }
  [[gnu::always_inline]] void operator()(const std::optional<bool>& v) const {
    if (v) literal(*v ? "true" : "false");
  }
  [[gnu::always_inline]] void operator()(bool v) const {
    if (v) literal("true");
  }
};

// Records are flat: an object, props and what nests in props. Refusing only absurd depths keeps
// the reader from being stricter than any ingest limits a deployment configured.
constexpr std::size_t stored_max_depth = 1024;

}  // namespace

void encode(const event& e, std::string& out) {
  // event_id comes first and is always written, so every later field starts with a comma.
  out.append("{\"event_id\":", 12);
  write_string(out, e.event_id);
  encode_tail(e, 1, out);
}

namespace {

// Field I of `e`, unless it comes before `first`: the loop over the table unrolled while compiling,
// so that each member is read and written without a dispatch on its type or a lookup of its key
// (the loop and its dispatch were a third of encode's instructions).
template <std::size_t I>
[[gnu::always_inline]] inline void write_field(const event& e, std::size_t first, std::string& out,
                                               char*& p) {
  if (I < first) return;
  constexpr const field& f = detail::table[I];
  constexpr auto member = std::get<f.where.index()>(f.where);
  constexpr const auto& key = quoted_key_v<I>;
  member_writer{f, std::string_view(key.data(), key.size()), out, p}(e.*member);
}

template <std::size_t... I>
void write_fields(const event& e, std::size_t first, std::string& out, char*& p, std::index_sequence<I...>) {
  (write_field<I>(e, first, out, p), ...);
}

}  // namespace

void encode_tail(const event& e, std::size_t first, std::string& out) {
  char* p = out.data() + out.size();
  // event_id (field 0) is encode's, always first: every field here starts with a comma.
  write_fields(e, std::max<std::size_t>(first, 1), out, p, std::make_index_sequence<detail::table.size()>());
  out.resize(static_cast<std::size_t>(p - out.data()));
  out.push_back('}');
}

base::result<event> decode_stored(std::string_view json, std::uint64_t* named) {
  event e;
  if (auto s = decode_stored_into(json, e, named); !s) return std::move(s).err();
  return e;
}

base::status decode_stored_into(std::string_view json, event& e, std::uint64_t* named,
                                std::optional<base::uuid>* id) {
  if (is_binary_record(json)) return decode_binary_into(json, e, named, id);
  if (id) id->reset();
  thread_local json_parser parser;
  namespace dom = simdjson::dom;
  dom::element root;
  if (const auto error = parser.parse(json, stored_max_depth, root)) {
    return base::error::reject(
        fmt::format("the record is not valid JSON ({}); schema-v1 records are what encode() writes",
                    simdjson::error_message(error)));
  }
  dom::object object;
  if (root.get_object().get(object)) {
    return base::error::reject(fmt::format(
        "the record is {}, not an object; schema-v1 records are what encode() writes", json_type_name(root)));
  }
  e = event{};  // read_event writes only the fields the record holds
  if (const auto why = read_event(object, origin::stored, limits{}, e, named)) {
    return base::error::reject(fmt::format("the record is not schema v1: {}", why->detail));
  }
  return {};
}

}  // namespace clicktrail::event
