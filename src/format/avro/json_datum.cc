#include "format/avro/json_datum.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "event/json_text.h"

namespace clicktrail::format::avro {
namespace {

namespace dom = simdjson::dom;

// A datum's nesting follows its schema, and a recursive schema lets data nest without end.
constexpr std::size_t max_datum_depth = 128;

// Items that take no bytes (null, an empty record) let a short file claim any count: a bound.
constexpr std::int64_t max_empty_items = 1 << 20;

// The name a union branch goes by in the JSON encoding.
std::string branch_name(const schema::node& n) {
  switch (n.kind) {
    case kind::null:
      return "null";
    case kind::boolean:
      return "boolean";
    case kind::int_:
      return "int";
    case kind::long_:
      return "long";
    case kind::float_:
      return "float";
    case kind::double_:
      return "double";
    case kind::bytes:
      return "bytes";
    case kind::string:
      return "string";
    case kind::array:
      return "array";
    case kind::map:
      return "map";
    case kind::union_:
      return "union";
    case kind::record:
    case kind::enum_:
    case kind::fixed:
      return n.name;
  }
  return "";
}

bool takes_no_bytes(const schema& s, const schema::node& n, std::size_t depth = 0) {
  if (n.kind == kind::null || (n.kind == kind::fixed && n.size == 0)) return true;
  if (n.kind != kind::record || depth > max_datum_depth) return false;
  for (const auto& f : n.fields) {
    if (!takes_no_bytes(s, s.at(f.type), depth + 1)) return false;
  }
  return true;
}

// Bytes as the JSON encoding writes them: each byte a code point, as UTF-8.
void write_byte_string(std::string& out, std::string_view bytes) {
  std::string text;
  text.reserve(bytes.size());
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x80) {
      text.push_back(static_cast<char>(b));
    } else {
      text.push_back(static_cast<char>(0xC0 | (b >> 6)));
      text.push_back(static_cast<char>(0x80 | (b & 0x3F)));
    }
  }
  event::write_string(out, text);
}

}  // namespace

std::optional<std::string> bytes_from_json(std::string_view text) {
  std::string bytes;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      bytes.push_back(static_cast<char>(b));
    } else if ((b & 0xE0) == 0xC0 && b <= 0xC3 && i + 1 < text.size()) {
      bytes.push_back(static_cast<char>(((b & 0x03) << 6) | (static_cast<unsigned char>(text[++i]) & 0x3F)));
    } else {
      return std::nullopt;  // a code point above U+00FF
    }
  }
  return bytes;
}

namespace {

void write_number(std::string& out, double d) {
  if (std::isnan(d)) {
    out.append("\"NaN\"");
  } else if (std::isinf(d)) {
    out.append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    event::write_double(out, d);
  }
}

struct to_json {
  const schema& s;
  decoder& in;
  std::string& out;

  void block_items(const schema::node& n, std::size_t depth, bool map) {
    const schema::node& items = s.at(n.items);
    const bool empty_items = takes_no_bytes(s, items);
    bool first = true;
    out.push_back(map ? '{' : '[');
    std::int64_t total = 0;
    while (in.ok()) {
      std::int64_t count = in.get_long();
      if (count == 0) break;
      if (count < 0) {
        if (count == std::numeric_limits<std::int64_t>::min())
          return in.fail("a block count is out of range");
        count = -count;
        in.get_long();  // the block's size in bytes
      }
      total += count;
      if (empty_items ? total > max_empty_items : count > static_cast<std::int64_t>(in.remaining()))
        return in.fail(fmt::format("a block claims {} items, more than the bytes left can hold", count));
      for (std::int64_t i = 0; i < count && in.ok(); ++i) {
        if (!first) out.push_back(',');
        first = false;
        if (map) {
          event::write_string(out, in.get_bytes());
          out.push_back(':');
        }
        datum(n.items, depth + 1);
      }
    }
    out.push_back(map ? '}' : ']');
  }

  void datum(std::size_t node, std::size_t depth) {
    if (!in.ok()) return;
    if (depth > max_datum_depth) return in.fail(fmt::format("a datum nests deeper than {}", max_datum_depth));
    const schema::node& n = s.at(node);
    switch (n.kind) {
      case kind::null:
        out.append("null");
        return;
      case kind::boolean:
        out.append(in.get_bool() ? "true" : "false");
        return;
      case kind::int_:
        event::write_int(out, in.get_int());
        return;
      case kind::long_:
        event::write_int(out, in.get_long());
        return;
      case kind::float_:
        write_number(out, static_cast<double>(in.get_float()));
        return;
      case kind::double_:
        write_number(out, in.get_double());
        return;
      case kind::bytes:
        write_byte_string(out, in.get_bytes());
        return;
      case kind::string:
        event::write_string(out, in.get_bytes());
        return;
      case kind::fixed:
        write_byte_string(out, in.get_fixed(n.size));
        return;
      case kind::enum_: {
        const std::int64_t i = in.get_long();
        if (i < 0 || static_cast<std::size_t>(i) >= n.symbols.size())
          return in.fail(fmt::format("enum {} has no symbol {}", n.name, i));
        event::write_string(out, n.symbols[static_cast<std::size_t>(i)]);
        return;
      }
      case kind::record: {
        out.push_back('{');
        for (std::size_t i = 0; i < n.fields.size(); ++i) {
          if (i) out.push_back(',');
          event::write_string(out, n.fields[i].name);
          out.push_back(':');
          datum(n.fields[i].type, depth + 1);
        }
        out.push_back('}');
        return;
      }
      case kind::array:
        return block_items(n, depth, false);
      case kind::map:
        return block_items(n, depth, true);
      case kind::union_: {
        const std::int64_t i = in.get_long();
        if (i < 0 || static_cast<std::size_t>(i) >= n.branches.size())
          return in.fail(fmt::format("a union has no branch {}", i));
        const std::size_t branch = n.branches[static_cast<std::size_t>(i)];
        if (s.at(branch).kind == kind::null) {
          out.append("null");
          return;
        }
        out.push_back('{');
        event::write_string(out, branch_name(s.at(branch)));
        out.push_back(':');
        datum(branch, depth + 1);
        out.push_back('}');
        return;
      }
    }
  }
};

struct from_json {
  const schema& s;
  std::string& out;
  std::string& why;

  bool wrong(const schema::node& n, std::string_view detail) {
    why = fmt::format("a {} value {}", branch_name(n), detail);
    return false;
  }

  bool integer(const schema::node& n, dom::element v, std::int64_t min, std::int64_t max) {
    std::int64_t i = 0;
    if (v.get_int64().get(i) != simdjson::SUCCESS) return wrong(n, "is not a whole number");
    if (i < min || i > max) return wrong(n, fmt::format("{} is out of range", i));
    put_long(out, i);
    return true;
  }

  bool real(const schema::node& n, dom::element v, bool single) {
    double d = 0;
    std::string_view word;
    if (v.get_double().get(d) != simdjson::SUCCESS) {
      if (v.get_string().get(word) != simdjson::SUCCESS) return wrong(n, "is not a number");
      if (word == "NaN")
        d = std::numeric_limits<double>::quiet_NaN();
      else if (word == "Infinity")
        d = std::numeric_limits<double>::infinity();
      else if (word == "-Infinity")
        d = -std::numeric_limits<double>::infinity();
      else
        return wrong(n, "is not a number");
    }
    if (single)
      put_float(out, static_cast<float>(d));
    else
      put_double(out, d);
    return true;
  }

  bool datum(std::size_t node, dom::element v, std::size_t depth) {
    const schema::node& n = s.at(node);
    if (depth > max_datum_depth) return wrong(n, fmt::format("nests deeper than {}", max_datum_depth));
    std::string_view text;
    switch (n.kind) {
      case kind::null:
        return v.is_null() || wrong(n, "is not null");
      case kind::boolean: {
        bool b = false;
        if (v.get_bool().get(b) != simdjson::SUCCESS) return wrong(n, "is not true or false");
        put_bool(out, b);
        return true;
      }
      case kind::int_:
        return integer(n, v, INT32_MIN, INT32_MAX);
      case kind::long_:
        return integer(n, v, std::numeric_limits<std::int64_t>::min(),
                       std::numeric_limits<std::int64_t>::max());
      case kind::float_:
        return real(n, v, true);
      case kind::double_:
        return real(n, v, false);
      case kind::string:
        if (v.get_string().get(text) != simdjson::SUCCESS) return wrong(n, "is not a string");
        put_bytes(out, text);
        return true;
      case kind::bytes:
      case kind::fixed: {
        if (v.get_string().get(text) != simdjson::SUCCESS) return wrong(n, "is not a string");
        const auto bytes = bytes_from_json(text);
        if (!bytes) return wrong(n, "has a character above U+00FF, which bytes cannot hold");
        if (n.kind == kind::fixed) {
          if (bytes->size() != n.size)
            return wrong(n, fmt::format("is {} bytes, not {}", bytes->size(), n.size));
          out.append(*bytes);
        } else {
          put_bytes(out, *bytes);
        }
        return true;
      }
      case kind::enum_: {
        if (v.get_string().get(text) != simdjson::SUCCESS) return wrong(n, "is not a string");
        for (std::size_t i = 0; i < n.symbols.size(); ++i) {
          if (n.symbols[i] == text) {
            put_long(out, static_cast<std::int64_t>(i));
            return true;
          }
        }
        return wrong(n, fmt::format("\"{}\" is not one of its symbols", text));
      }
      case kind::record: {
        dom::object object;
        if (v.get_object().get(object) != simdjson::SUCCESS) return wrong(n, "is not an object");
        for (const auto& f : n.fields) {
          dom::element member;
          if (object[f.name].get(member) != simdjson::SUCCESS)
            return wrong(n, fmt::format("has no field \"{}\"", f.name));
          if (!datum(f.type, member, depth + 1)) return false;
        }
        return true;
      }
      case kind::array: {
        dom::array items;
        if (v.get_array().get(items) != simdjson::SUCCESS) return wrong(n, "is not an array");
        if (items.size() > 0) put_long(out, static_cast<std::int64_t>(items.size()));
        for (const dom::element item : items) {
          if (!datum(n.items, item, depth + 1)) return false;
        }
        put_long(out, 0);
        return true;
      }
      case kind::map: {
        dom::object object;
        if (v.get_object().get(object) != simdjson::SUCCESS) return wrong(n, "is not an object");
        if (object.size() > 0) put_long(out, static_cast<std::int64_t>(object.size()));
        for (const dom::key_value_pair m : object) {
          put_bytes(out, m.key);
          if (!datum(n.items, m.value, depth + 1)) return false;
        }
        put_long(out, 0);
        return true;
      }
      case kind::union_: {
        if (v.is_null()) {
          for (std::size_t i = 0; i < n.branches.size(); ++i) {
            if (s.at(n.branches[i]).kind == kind::null) {
              put_long(out, static_cast<std::int64_t>(i));
              return true;
            }
          }
          return wrong(n, "is null, which the union does not allow");
        }
        dom::object object;
        if (v.get_object().get(object) != simdjson::SUCCESS || object.size() != 1)
          return wrong(n, "is not null or an object of one member naming its branch");
        const dom::key_value_pair only = *object.begin();
        for (std::size_t i = 0; i < n.branches.size(); ++i) {
          if (branch_name(s.at(n.branches[i])) == only.key) {
            put_long(out, static_cast<std::int64_t>(i));
            return datum(n.branches[i], only.value, depth + 1);
          }
        }
        return wrong(n, fmt::format("names branch \"{}\", which the union does not have", only.key));
      }
    }
    return false;
  }
};

}  // namespace

void datum_to_json(const schema& s, std::size_t node, decoder& in, std::string& out) {
  to_json{s, in, out}.datum(node, 0);
}

bool datum_from_json(const schema& s, std::size_t node, simdjson::dom::element value, std::string& out,
                     std::string& why) {
  return from_json{s, out, why}.datum(node, value, 0);
}

}  // namespace clicktrail::format::avro
