#include "event/binary_record.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <bit>
#include <cstring>
#include <utility>
#include <variant>

#include "base/utf8.h"
#include "base/uuid.h"
#include "event/field_table.h"
#include "event/fields.h"
#include "event/grow_ahead.h"
#include "event/json_parser.h"
#include "event/json_text.h"
#include "event/raw_json.h"
#include "event/read_event.h"
#include "event/valid_utf8.h"

namespace clicktrail::event {
namespace {

enum wire : std::uint8_t { varint = 0, length_delimited = 2 };

// The reader loads eight bytes of a varint at once, its first byte lowest.
static_assert(std::endian::native == std::endian::little,
              "the binary record reader assumes a little-endian host");

// Writes `v` as a varint at `p`; returns the byte after it.
char* put_varint(char* p, std::uint64_t v) noexcept {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

std::uint64_t zigzag(std::int64_t v) noexcept {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

std::int64_t unzigzag(std::uint64_t v) noexcept {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

// `s` with each ill-formed UTF-8 sequence replaced by U+FFFD.
std::string repaired_utf8(std::string_view s) {
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (std::size_t i = 0; i < s.size();) {
    if (p[i] < 0x80) {
      out.push_back(static_cast<char>(p[i++]));
    } else if (const std::size_t n = base::utf8_length(p + i, s.size() - i); n != 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

// The most bytes a tag and a varint take: a tag fits in two bytes for ids under 2^11 (they are
// under max_id), a varint of 64 bits in ten.
constexpr std::size_t max_tag_bytes = 2, max_varint_bytes = 10;

// Writes members at `p`, into `out` grown ahead of it (grow_ahead.h).
struct field_writer {
  const field& f;
  std::string& out;
  char*& p;

  [[gnu::always_inline]] void room(std::size_t n) const { grow_ahead(out, p, n); }
  [[gnu::always_inline]] char* tag(wire w) const {
    return put_varint(p, static_cast<std::uint64_t>(f.id) << 3 | w);
  }
  [[gnu::always_inline]] void text(std::string_view v) const {
    if (!valid_utf8(v)) [[unlikely]] {
      text_repaired(v);
      return;
    }
    room(max_tag_bytes + max_varint_bytes + v.size());
    p = put_varint(tag(length_delimited), v.size());
    std::memcpy(p, v.data(), v.size());
    p += v.size();
  }
  // Out of line, so that the common case builds and destroys no string.
  [[gnu::noinline]] void text_repaired(std::string_view v) const { text(repaired_utf8(v)); }
  [[gnu::always_inline]] void integer(std::uint64_t v) const {
    room(max_tag_bytes + max_varint_bytes);
    p = put_varint(tag(varint), v);
  }
  [[gnu::always_inline]] void operator()(const std::string& v) const { text(v); }
  [[gnu::always_inline]] void operator()(const opt_string& v) const {
    if (v) text(*v);
  }
  [[gnu::always_inline]] void operator()(std::int64_t v) const { integer(zigzag(v)); }
  [[gnu::always_inline]] void operator()(std::int32_t v) const { integer(zigzag(v)); }
  [[gnu::always_inline]] void operator()(const opt_i64& v) const {
    if (v) integer(zigzag(*v));
  }
  [[gnu::always_inline]] void operator()(const opt_i32& v) const {
    if (v) integer(zigzag(*v));
  }
  [[gnu::always_inline]] void operator()(const std::optional<bool>& v) const {
    if (v) integer(*v ? 1 : 0);
  }
  [[gnu::always_inline]] void operator()(bool v) const {
    if (v) integer(1);
  }
};

// The position in all_fields() of each field id, or -1: ids are small (fields.cc numbers them
// from 1 and the table has fewer than 64 rows).
constexpr std::size_t max_id = 128;
const std::array<std::int8_t, max_id>& index_of_id() {
  static const std::array<std::int8_t, max_id> index = [] {
    std::array<std::int8_t, max_id> a{};
    a.fill(-1);
    for (const field& f : all_fields())
      a.at(static_cast<std::size_t>(f.id)) = static_cast<std::int8_t>(field_index(f));
    return a;
  }();
  return index;
}

// Reads a binary record field by field, checking each value as decode_stored checks JSON's.
class reader {
 public:
  explicit reader(std::string_view bytes)
      : begin_(bytes.data()), p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  // event_id's 16 bytes, parsed when its text was checked (after read()).
  const std::optional<base::uuid>& event_id() const noexcept { return id_; }

  std::optional<std::string> read(event& e, std::uint64_t& seen) {
    const auto& index = index_of_id();
    const auto fields = all_fields();
    while (p_ != end_) {
      const char* field_start = p_;
      const auto at = [&] { return offset(field_start); };  // for errors only
      std::uint64_t tag = 0;
      if (!get_varint(tag)) return fmt::format("a field's tag at byte {} is cut short or over 64 bits", at());
      const std::uint64_t id = tag >> 3;
      const int i = id < max_id ? index[id] : -1;
      if (i < 0) {
        return fmt::format(
            "field id {} (byte {}) is not in this build's schema; a newer collector wrote it: upgrade the "
            "sink, or set the collector's ingest.record_format = \"json\" until then",
            id, at());
      }
      const field& f = fields[static_cast<std::size_t>(i)];
      seen |= 1ULL << static_cast<unsigned>(i);
      wire_ = static_cast<std::uint8_t>(tag & 7);
      if (!std::visit([&](auto m) { return read_value(f, e.*m); }, f.where)) {
        return fmt::format("{} (byte {}): {}", f.name, at(), why_);
      }
    }
    return std::nullopt;
  }

 private:
  // From 0, the marker's.
  std::size_t offset(const char* at) const { return static_cast<std::size_t>(at - begin_) + 1; }

  bool get_varint(std::uint64_t& v) {
    // One byte is the common case: every tag, and the length of any text under 128 bytes.
    if (p_ != end_ && static_cast<unsigned char>(*p_) < 0x80) {
      v = static_cast<unsigned char>(*p_++);
      return true;
    }
    // Up to eight bytes (a time in ms takes six or seven) from one load, where eight are there to
    // read; nine and ten take the loop below.
    if (end_ - p_ >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p_, 8);   // little-endian: the varint's first byte lowest
      if ((w & 0x8000) == 0) {  // two bytes: a text's length under 16 KiB
        v = (w & 0x7F) | ((w >> 1) & 0x3F80);
        p_ += 2;
        return true;
      }
      if (const std::uint64_t last = ~w & 0x8080808080808080ULL; last != 0) {
        const auto bytes = static_cast<unsigned>(std::countr_zero(last)) / 8 + 1;
        if (bytes < 8) w &= (1ULL << (8 * bytes)) - 1;
        w &= 0x7F7F7F7F7F7F7F7FULL;  // the seven bits of each byte, then closed up
        w = ((w & 0x7F007F007F007F00ULL) >> 1) | (w & 0x007F007F007F007FULL);
        w = ((w & 0x3FFF00003FFF0000ULL) >> 2) | (w & 0x00003FFF00003FFFULL);
        w = ((w & 0x0FFFFFFF00000000ULL) >> 4) | (w & 0x000000000FFFFFFFULL);
        v = w;
        p_ += bytes;
        return true;
      }
    }
    v = 0;
    for (unsigned shift = 0; shift < 64 && p_ != end_; shift += 7) {
      const auto b = static_cast<unsigned char>(*p_++);
      if (shift == 63 && b > 1) return false;  // a tenth byte holds bit 63 alone: more is past 64 bits
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) return true;
    }
    return false;
  }

  // The readers below answer whether the value was good; when not, `fail` keeps why, so that
  // the common case passes a bool, not an optional string, back through each field.
  bool fail(std::string why) {
    why_ = std::move(why);
    return false;
  }

  bool get_text(std::string_view& s) {
    if (wire_ != length_delimited) return fail(fmt::format("text must have wire type 2, not {}", wire_));
    std::uint64_t n = 0;
    if (!get_varint(n)) return fail("its length is cut short or over 64 bits");
    if (n > static_cast<std::uint64_t>(end_ - p_)) {
      return fail(fmt::format("its length {} runs past the record's end", n));
    }
    s = {p_, static_cast<std::size_t>(n)};
    p_ += n;
    if (!valid_utf8(s)) return fail("not valid UTF-8");
    return true;
  }

  bool get_int(const field& f, std::int64_t& v) {
    if (wire_ != varint) return fail(fmt::format("an integer must have wire type 0, not {}", wire_));
    std::uint64_t raw = 0;
    if (!get_varint(raw)) return fail("its value is cut short or over 64 bits");
    v = unzigzag(raw);
    if (v < f.min || v > f.max) return fail(fmt::format("{} is outside {} … {}", v, f.min, f.max));
    return true;
  }

  bool get_bool(bool& b) {
    if (wire_ != varint) return fail(fmt::format("a boolean must have wire type 0, not {}", wire_));
    std::uint64_t raw = 0;
    if (!get_varint(raw) || raw > 1) return fail("a boolean must be 0 or 1");
    b = raw == 1;
    return true;
  }

  bool read_text(const field& f, std::string& target) {
    std::string_view s;
    if (!get_text(s)) return false;
    if (f.check == rule::uuid) {
      id_ = base::parse_uuid(s);
      if (!id_) return fail(fmt::format("\"{}\" is not a UUID", shown(s)));
    }
    if (f.check == rule::event_type && !is_event_type(s)) {
      return fail(fmt::format("\"{}\" is not an event type", shown(s)));
    }
    if (f.check != rule::json_object) {
      target.assign(s);
      return true;
    }
    // props: a JSON object, kept compact (a line break in it would split a JSON Lines line).
    // The depth limit is decode_stored's: only absurd ones are refused.
    constexpr std::size_t max_depth = 1024;
    thread_local json_parser parser;
    simdjson::dom::element value;
    if (parser.parse(s, max_depth, value) || !value.is_object()) return fail("not a JSON object");
    // The collector wrote it compact: then it is copied as it is, the bytes write_compact would
    // write, without writing them again (that took as long as the parse).
    if (raw::compact_value(s, max_depth).size() == s.size()) {
      target.assign(s);
    } else {
      target.clear();
      write_compact(target, value, max_depth);
    }
    return true;
  }

  bool read_value(const field& f, std::string& v) { return read_text(f, v); }
  // An optional that holds a string already (an earlier event's) keeps its buffer.
  bool read_value(const field& f, opt_string& v) { return read_text(f, v ? *v : v.emplace()); }
  template <class Int>
  requires std::is_integral_v<Int> &&(!std::is_same_v<Int, bool>)bool read_value(const field& f, Int& v) {
    std::int64_t got = 0;
    if (!get_int(f, got)) return false;
    v = static_cast<Int>(got);
    return true;
  }
  template <class Int>
  bool read_value(const field& f, std::optional<Int>& v) {
    return read_value(f, v.emplace());
  }
  bool read_value(const field&, bool& v) { return get_bool(v); }

  const char* begin_;
  const char* p_;
  const char* end_;
  std::uint8_t wire_ = 0;
  std::optional<base::uuid> id_;  // event_id's bytes, once read
  std::string why_;               // what was wrong with the value a reader refused
};

// The loop over the field table unrolled while compiling, as encode()'s: each member read and
// written with its tag known, without a dispatch on its type.
template <std::size_t... I>
void write_fields(const event& e, std::string& out, char*& p, std::index_sequence<I...>) {
  (field_writer{detail::table[I], out,
                p}(e.*std::get<detail::table[I].where.index()>(detail::table[I].where)),
   ...);
}

}  // namespace

void encode_binary(const event& e, std::string& out) {
  out.push_back(binary_record_marker);
  char* p = out.data() + out.size();
  write_fields(e, out, p, std::make_index_sequence<detail::table.size()>());
  out.resize(static_cast<std::size_t>(p - out.data()));
}

base::result<event> decode_binary(std::string_view record, std::uint64_t* named) {
  event e;
  if (auto s = decode_binary_into(record, e, named); !s) return std::move(s).err();
  return e;
}

namespace {

const event& blank_event() {
  static const event blank;
  return blank;
}

// Field I takes its default.
template <std::size_t I>
[[gnu::always_inline]] inline void reset_field(event& e) {
  constexpr auto m = std::get<detail::table[I].where.index()>(detail::table[I].where);
  using member = std::remove_cvref_t<decltype(e.*m)>;
  if constexpr (std::is_same_v<member, std::string>) {
    (e.*m).clear();
  } else if constexpr (is_optional_member<member>) {
    (e.*m).reset();  // (copying the blank's nullopt asked both sides whether they held one)
  } else {
    e.*m = blank_event().*m;
  }
}

// The fields of `which` (bit field_index) take their defaults: `e` may hold an earlier event,
// whose strings are reused rather than allocated again (the sink decodes into one event). The
// loop over the table is unrolled while compiling, a bit test per field.
template <std::size_t... I>
void reset_fields(event& e, std::uint64_t which, std::index_sequence<I...>) {
  ((which >> I & 1 ? reset_field<I>(e) : void()), ...);
}

}  // namespace

base::status decode_binary_into(std::string_view record, event& e, std::uint64_t* named,
                                std::optional<base::uuid>* id) {
  if (id) id->reset();
  if (!is_binary_record(record)) {
    return base::error::reject("the record does not start with 0xC1, the binary record's marker");
  }
  std::uint64_t seen = 0;
  reader fields(record.substr(1));
  if (auto why = fields.read(e, seen)) {
    return base::error::reject(fmt::format("the binary record is malformed: {}", *why));
  }
  reset_fields(e, ~seen, std::make_index_sequence<detail::table.size()>());
  if (const std::uint64_t missing = always_written_fields() & ~seen) {
    const field& f = all_fields()[static_cast<std::size_t>(std::countr_zero(missing))];
    return base::error::reject(
        fmt::format("the binary record is malformed: {} is missing; encode_binary always writes it", f.name));
  }
  if (named) *named = seen;
  if (id) *id = fields.event_id();
  return {};
}

std::string record_proto() {
  std::string out =
      "// A clicktrail record in its binary form (the collector's ingest.record_format = \"binary\", the\n"
      "// default) is the byte 0xC1 followed by an Event message. Generated from src/event/fields.cc;\n"
      "// the event_test binary checks that this file is current. Field numbers are the schema's field\n"
      "// ids (docs/event-schema.md): given once, never changed or reused.\n"
      "syntax = \"proto2\";\n\npackage clicktrail.v1;\n\nmessage Event {\n";
  for (const field& f : all_fields()) {
    const char* type = "string";
    switch (kind_of(f)) {
      case value_kind::text:
      case value_kind::json:
        break;
      case value_kind::timestamp:
      case value_kind::int64:
        type = "sint64";
        break;
      case value_kind::int32:
        type = "sint32";
        break;
      case value_kind::boolean:
        type = "bool";
        break;
    }
    const bool required = is_required(f) && kind_of(f) != value_kind::boolean;
    out += fmt::format("  {} {} {} = {};", required ? "required" : "optional", type, f.name, f.id);
    if (kind_of(f) == value_kind::json) out += "  // a JSON object as compact text";
    if (kind_of(f) == value_kind::timestamp) out += "  // ms since 1970";
    out += "\n";
  }
  out += "}\n";
  return out;
}

}  // namespace clicktrail::event
