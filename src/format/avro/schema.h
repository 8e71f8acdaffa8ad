#pragma once
// An Avro schema, parsed from its JSON (the specification's "Schema Declaration") into a tree of
// nodes that the datum reader and writer walk: records, enums, arrays, maps, unions, fixed and the
// primitives. Named types may be referred to by name after their definition, recursion included.
// Logical types (date, timestamp-micros, decimal, uuid …) are read as their underlying type.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace clicktrail::format::avro {

enum class kind : std::uint8_t {
  null,
  boolean,
  int_,
  long_,
  float_,
  double_,
  bytes,
  string,
  record,
  enum_,
  array,
  map,
  union_,
  fixed,
};

struct schema {
  struct field {
    std::string name;
    std::size_t type;  // a node index
  };
  struct node {
    avro::kind kind = kind::null;
    std::string name;                   // records, enums, fixed: the full name
    std::vector<field> fields;          // records
    std::vector<std::string> symbols;   // enums
    std::vector<std::size_t> branches;  // unions
    std::size_t items = 0;              // arrays: the items' node; maps: the values'
    std::size_t size = 0;               // fixed
    std::optional<std::size_t> ref;     // a use of a named type by name: its definition's node
  };

  std::vector<node> nodes;  // nodes[0] is the root
  const node& root() const { return at(0); }
  // The node at `i`, or the definition it names.
  const node& at(std::size_t i) const { return nodes[i].ref ? nodes[*nodes[i].ref] : nodes[i]; }
};

// Parses `json`; a schema we cannot read is an error that says where and why.
base::result<schema> parse_schema(std::string_view json);

}  // namespace clicktrail::format::avro
