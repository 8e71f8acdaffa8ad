#include "http/wire.h"

#include <boost/beast/http/status.hpp>

#include <charconv>

namespace clicktrail::http {
namespace {

void append_status_line(unsigned status, std::string& out) {
  char digits[8];
  const auto end = std::to_chars(digits, digits + sizeof digits, status).ptr;
  const auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  out += "HTTP/1.1 ";
  out.append(digits, end);
  out += ' ';
  out.append(reason.data(), reason.size());
  out += "\r\nServer: clicktrail\r\n";
}

void append_header(std::string_view name, std::string_view value, std::string& out) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

bool has_no_body(unsigned status) {
  return status < 200 || status == 204 || status == 304;
}

}  // namespace

void append_response(const response& r, bool keep_alive, std::string& out) {
  append_status_line(r.status, out);
  const bool bodiless = has_no_body(r.status);
  if (!bodiless && !r.content_type.empty()) append_header("Content-Type", r.content_type, out);
  for (const auto& [name, value] : r.headers) append_header(name, value, out);
  if (!bodiless) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, r.body.size()).ptr;
    append_header("Content-Length", std::string_view(digits, static_cast<std::size_t>(end - digits)), out);
  }
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (!bodiless) out += r.body;
}

std::string stream_head(const response& r) {
  std::string out;
  append_status_line(r.status, out);
  append_header("Content-Type", r.content_type, out);
  out += "Connection: close\r\n";
  for (const auto& [name, value] : r.headers) append_header(name, value, out);
  out += "\r\n";
  out += r.body;
  return out;
}

}  // namespace clicktrail::http
