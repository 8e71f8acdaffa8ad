#include "ingest/body.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>

#include "base/text.h"

namespace clicktrail::ingest {

using base::iequals;
using base::trim;

refusal body_too_large(std::size_t max_body) {
  return {413, "body_too_large",
          fmt::format("the request body is over {} bytes (after gunzip); send fewer events per request",
                      max_body)};
}

namespace {

// Inflates a single gzip member, stopping as soon as the output would pass `max_body`.
std::optional<refusal> gunzip(std::string& body, std::size_t max_body) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    return refusal{500, "internal_error", "could not start gunzip"};
  std::string out;
  out.resize(std::min<std::size_t>(std::max<std::size_t>(body.size() * 4, 4096), max_body + 1));
  zs.next_in = reinterpret_cast<Bytef*>(body.data());
  zs.avail_in = static_cast<uInt>(body.size());
  std::size_t produced = 0;
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (produced == out.size()) {
      if (out.size() > max_body) break;  // already one byte over the cap: refuse below
      out.resize(std::min(out.size() * 2, max_body + 1));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    rc = inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // input ended before the stream did
  }
  const bool trailing = zs.avail_in != 0;
  inflateEnd(&zs);
  if (produced > max_body) return body_too_large(max_body);
  if (rc != Z_STREAM_END || trailing) {
    return refusal{400, "invalid_gzip",
                   "Content-Encoding is gzip but the body is not one complete gzip stream"};
  }
  out.resize(produced);
  body = std::move(out);
  return std::nullopt;
}

}  // namespace

std::optional<refusal> check_content_type(std::string_view content_type) {
  const std::string_view type = trim(content_type.substr(0, content_type.find(';')));
  if (iequals(type, "application/json") || iequals(type, "text/plain")) return std::nullopt;
  return refusal{415, "unsupported_content_type",
                 fmt::format("Content-Type \"{}\" is not accepted; send application/json or text/plain",
                             content_type.substr(0, 100))};
}

std::optional<refusal> decode_content(std::string& body, std::string_view content_encoding,
                                      std::size_t max_body) {
  if (body.size() > max_body) return body_too_large(max_body);
  const std::string_view encoding = trim(content_encoding);
  if (encoding.empty() || iequals(encoding, "identity")) return std::nullopt;
  if (iequals(encoding, "gzip") || iequals(encoding, "x-gzip")) return gunzip(body, max_body);
  return refusal{415, "unsupported_content_encoding",
                 fmt::format("Content-Encoding \"{}\" is not accepted; send gzip or no encoding",
                             content_encoding.substr(0, 100))};
}

}  // namespace clicktrail::ingest
