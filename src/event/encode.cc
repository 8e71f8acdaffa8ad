#include "event/encode.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <span>
#include <variant>
#include <vector>

#include "event/binary_record.h"
#include "event/fields.h"
#include "event/json_parser.h"
#include "event/json_text.h"
#include "event/read_event.h"

namespace clicktrail::event {
namespace {

// `,"name":` for every field, made once: one append per field written.
const std::vector<std::string>& keys() {
  static const std::vector<std::string> quoted = [] {
    std::vector<std::string> k;
    for (const field& f : all_fields()) k.push_back(",\"" + std::string(f.name) + "\":");
    return k;
  }();
  return quoted;
}

// Writes one member as `"name":value`, or nothing when it is absent (and `truncated` when false),
// at `p`, in `out` grown ahead of it: a compare per member rather than a checked append per key
// and value, as encode_binary writes. It grows by what a member needs and a little more.
struct member_writer {
  const field& f;
  std::string_view key;  // ,"name":
  std::string& out;
  char*& p;

  [[gnu::always_inline]] void room(std::size_t n) const {
    const auto at = static_cast<std::size_t>(p - out.data());
    if (out.size() - at >= n) return;
    out.resize(at + n + 256);
    p = out.data() + at;
  }
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
  void literal(std::string_view v) const {
    room(key.size() + v.size());
    put_key();
    std::memcpy(p, v.data(), v.size());
    p += v.size();
  }

  void operator()(const std::string& v) const { text(v); }
  void operator()(const opt_string& v) const {
    if (!v) return;
    // props holds the compact JSON object text that decoding wrote; it is embedded as is.
    if (f.check == rule::json_object) {
      assert(!v->empty() && v->front() == '{');
      literal(*v);
    } else {
      text(*v);
    }
  }
  void operator()(std::int64_t v) const { integer(v); }
  void operator()(std::int32_t v) const { integer(v); }
  void operator()(const opt_i64& v) const {
    if (v) integer(*v);
  }
  void operator()(const opt_i32& v) const {
    if (v) integer(*v);
  }
  void operator()(const std::optional<bool>& v) const {
    if (v) literal(*v ? "true" : "false");
  }
  void operator()(bool v) const {
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

void encode_tail(const event& e, std::size_t first, std::string& out) {
  const auto& quoted = keys();
  const std::span<const field> fields = all_fields();  // once: a call into fields.cc each time
  char* p = out.data() + out.size();
  for (std::size_t i = std::max<std::size_t>(first, 1); i < fields.size(); ++i) {
    const field& f = fields[i];
    std::visit([&](auto m) { member_writer{f, quoted[i], out, p}(e.*m); }, f.where);
  }
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
