#include "ingest/responses.h"

#include "base/json_string.h"

namespace clicktrail::ingest {

ingest_response error_response(unsigned status, std::string_view code, std::string_view message) {
  ingest_response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = base::json_error_body(code, message);
  return r;
}

}  // namespace clicktrail::ingest
