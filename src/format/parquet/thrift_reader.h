#pragma once
// Reads Thrift's compact protocol into a small tree of values, for the Parquet reader (footers
// and page headers, also ones other writers made): every field is kept by id, unknown ones
// included, and callers pick what they know. Input is untrusted: lengths, nesting and counts are
// checked against the bytes there are, and a malformed message is an error, never a crash.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"

namespace clicktrail::format::parquet {

struct thrift_value;
using thrift_struct = std::map<std::int16_t, thrift_value>;
using thrift_list = std::vector<thrift_value>;

struct thrift_value {
  std::variant<std::int64_t, bool, std::string, thrift_list, thrift_struct> v;

  // The field `id` of a struct, or nullptr when absent (or this is not a struct).
  const thrift_value* field(std::int16_t id) const;
  std::optional<std::int64_t> integer() const;
  const std::string* binary() const;
  const thrift_list* list() const;
};

// Reads one struct from the front of `bytes`; `used` gets the bytes it took.
base::result<thrift_value> read_thrift_struct(std::string_view bytes, std::size_t& used);

}  // namespace clicktrail::format::parquet
