#include "ingest/bad_record.h"

#include <fmt/format.h>

#include "base/base64.h"
#include "base/json_string.h"

namespace clicktrail::ingest {

std::string encode_bad_record(const bad_input& in) {
  std::string out = "{\"reason\":";
  base::append_json_string(out, in.reason);
  out += ",\"detail\":";
  base::append_json_string(out, in.detail);
  out += ",\"site\":";
  base::append_json_string(out, in.site);
  out += fmt::format(",\"collector_ts\":{}", in.collector_ts);
  if (in.index) out += fmt::format(",\"index\":{}", *in.index);
  out += ",\"raw_base64\":\"";
  base::append_base64(out, in.raw.substr(0, max_raw_bytes));
  out += "\"}";
  return out;
}

}  // namespace clicktrail::ingest
