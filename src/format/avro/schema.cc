#include "format/avro/schema.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <map>
#include <set>

namespace clicktrail::format::avro {
namespace {

namespace dom = simdjson::dom;

// Schemas are written by people and programs, not attackers, but a file can carry any: nesting
// is bounded so that a hostile one cannot exhaust the stack.
constexpr std::size_t max_schema_depth = 64;

struct parser {
  schema out;
  std::map<std::string, std::size_t, std::less<>> named;
  std::string error;

  bool failed(std::string why) {
    if (error.empty()) error = std::move(why);
    return false;
  }

  std::optional<kind> primitive(std::string_view name) const {
    static const std::map<std::string_view, kind> primitives{
        {"null", kind::null},   {"boolean", kind::boolean}, {"int", kind::int_},
        {"long", kind::long_},  {"float", kind::float_},    {"double", kind::double_},
        {"bytes", kind::bytes}, {"string", kind::string}};
    const auto it = primitives.find(name);
    if (it == primitives.end()) return std::nullopt;
    return it->second;
  }

  // The full name of a named type: its name, qualified by its namespace or the enclosing one.
  static std::string full_name(std::string_view name, std::string_view space) {
    if (name.find('.') != std::string_view::npos || space.empty()) return std::string(name);
    return fmt::format("{}.{}", space, name);
  }

  std::size_t add(schema::node n) {
    out.nodes.push_back(std::move(n));
    return out.nodes.size() - 1;
  }

  // Reads `value` into a new node at `at` (already added), or returns false.
  bool read(dom::element value, std::size_t at, std::string_view space, std::size_t depth) {
    if (depth > max_schema_depth)
      return failed(fmt::format("the schema nests deeper than {}", max_schema_depth));
    std::string_view name;
    if (value.get_string().get(name) == simdjson::SUCCESS) {
      if (const auto p = primitive(name)) {
        out.nodes[at].kind = *p;
        return true;
      }
      // A use of a named type, which may still be being defined (a record containing itself).
      auto it = named.find(full_name(name, space));
      if (it == named.end()) it = named.find(name);
      if (it == named.end())
        return failed(fmt::format("the schema refers to \"{}\", which is not defined before", name));
      out.nodes[at].ref = it->second;
      return true;
    }
    dom::array branches;
    if (value.get_array().get(branches) == simdjson::SUCCESS) {
      out.nodes[at].kind = kind::union_;
      std::set<std::string> seen;  // the specification: one branch per type, per name for named ones
      for (const dom::element b : branches) {
        const std::size_t child = add({});
        out.nodes[at].branches.push_back(child);
        if (!read(b, child, space, depth + 1)) return false;
        const schema::node& branch = out.at(child);
        if (branch.kind == kind::union_) return failed("a union holds a union, which Avro does not allow");
        const bool named_type =
            branch.kind == kind::record || branch.kind == kind::enum_ || branch.kind == kind::fixed;
        if (!seen.insert(named_type ? branch.name : fmt::format("#{}", static_cast<int>(branch.kind))).second)
          return failed("a union holds two branches of the same type or name, which Avro does not allow");
      }
      return true;
    }
    dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS)
      return failed("a schema is a string, an array (a union) or an object");
    std::string_view type;
    if (object["type"].get_string().get(type) != simdjson::SUCCESS) {
      dom::element nested;
      if (object["type"].get(nested) == simdjson::SUCCESS) return read(nested, at, space, depth + 1);
      return failed("a schema object has no \"type\"");
    }
    if (const auto p = primitive(type)) {
      out.nodes[at].kind = *p;  // {"type": "long", "logicalType": …}
      return true;
    }
    if (type == "array" || type == "map") {
      dom::element items;
      if (object[type == "array" ? "items" : "values"].get(items) != simdjson::SUCCESS)
        return failed(fmt::format("an {} schema has no \"{}\"", type, type == "array" ? "items" : "values"));
      out.nodes[at].kind = type == "array" ? kind::array : kind::map;
      const std::size_t child = add({});
      out.nodes[at].items = child;
      return read(items, child, space, depth + 1);
    }
    if (type != "record" && type != "error" && type != "enum" && type != "fixed")
      return failed(fmt::format("unknown schema type \"{}\"", type));
    std::string_view short_name, own_space = space;
    if (object["name"].get_string().get(short_name) != simdjson::SUCCESS)
      return failed(fmt::format("a {} schema has no \"name\"", type));
    std::string_view declared_space;
    if (object["namespace"].get_string().get(declared_space) == simdjson::SUCCESS) own_space = declared_space;
    const std::string name_of = full_name(short_name, own_space);
    const auto dot = name_of.rfind('.');
    const std::string inner_space = dot == std::string::npos ? "" : name_of.substr(0, dot);
    schema::node& n = out.nodes[at];
    n.name = name_of;
    if (type == "fixed") {
      std::uint64_t size = 0;
      if (object["size"].get_uint64().get(size) != simdjson::SUCCESS)
        return failed(fmt::format("fixed \"{}\" has no whole \"size\"", name_of));
      n.kind = kind::fixed;
      n.size = static_cast<std::size_t>(size);
      named[name_of] = at;
      return true;
    }
    if (type == "enum") {
      dom::array symbols;
      if (object["symbols"].get_array().get(symbols) != simdjson::SUCCESS)
        return failed(fmt::format("enum \"{}\" has no \"symbols\"", name_of));
      n.kind = kind::enum_;
      for (const dom::element s : symbols) {
        std::string_view symbol;
        if (s.get_string().get(symbol) != simdjson::SUCCESS)
          return failed(fmt::format("enum \"{}\" has a symbol that is not a string", name_of));
        for (const auto& earlier : out.nodes[at].symbols) {
          if (earlier == symbol)
            return failed(fmt::format("enum \"{}\" has the symbol \"{}\" twice", name_of, symbol));
        }
        out.nodes[at].symbols.emplace_back(symbol);
      }
      named[name_of] = at;
      return true;
    }
    dom::array fields;
    if (object["fields"].get_array().get(fields) != simdjson::SUCCESS)
      return failed(fmt::format("record \"{}\" has no \"fields\"", name_of));
    n.kind = kind::record;
    named[name_of] = at;  // before its fields: a record may contain itself
    for (const dom::element f : fields) {
      std::string_view field_name;
      dom::element field_type;
      if (f["name"].get_string().get(field_name) != simdjson::SUCCESS ||
          f["type"].get(field_type) != simdjson::SUCCESS)
        return failed(fmt::format("record \"{}\" has a field without a \"name\" or a \"type\"", name_of));
      for (const auto& earlier : out.nodes[at].fields) {
        if (earlier.name == field_name)
          return failed(fmt::format("record \"{}\" has the field \"{}\" twice", name_of, field_name));
      }
      const std::size_t child = add({});
      out.nodes[at].fields.push_back({std::string(field_name), child});
      if (!read(field_type, child, inner_space, depth + 1)) return false;
    }
    return true;
  }
};

}  // namespace

base::result<schema> parse_schema(std::string_view json) {
  dom::parser dom_parser;
  dom::element root;
  if (const auto error = dom_parser.parse(json.data(), json.size()).get(root)) {
    return base::error::reject(
        fmt::format("the Avro schema is not JSON ({})", simdjson::error_message(error)));
  }
  parser p;
  p.add({});
  if (!p.read(root, 0, "", 0))
    return base::error::reject(fmt::format("the Avro schema is not one we can read: {}", p.error));
  return std::move(p.out);
}

}  // namespace clicktrail::format::avro
