// libFuzzer target: what reaches the collector before it is JSON — gzip bodies (inflated with a
// cap) and the pixel's query string. The first byte picks the path. Whatever the input, nothing
// crashes, an inflated body never passes its cap, and a pixel query that parses always becomes
// JSON that the event decoder can read.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "event/decode.h"
#include "ingest/body.h"
#include "ingest/pixel.h"

namespace {

using namespace clicktrail;

[[noreturn]] void broken(const char* promise) {
  std::fprintf(stderr, "broken promise: %s\n", promise);
  std::abort();
}

constexpr std::size_t max_body = 64 * 1024;

void body_path(std::string body, std::string_view encoding) {
  if (ingest::decode_content(body, encoding, max_body)) return;
  if (body.size() > max_body) broken("an accepted body is at most max_body bytes after gunzip");
  (void)event::decode_batch(body);
}

void pixel_path(std::string_view query) {
  const auto parsed = ingest::parse_pixel_query(query);
  const auto* q = std::get_if<ingest::pixel_query>(&parsed);
  if (!q) return;
  const auto batch = event::decode_batch(q->event_json);
  if (batch.refused && (batch.refused->why == event::reason::invalid_json ||
                        batch.refused->why == event::reason::invalid_utf8)) {
    broken("the pixel builds valid JSON");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      body_path(std::string(rest), "gzip");
      break;
    case 1:
      body_path(std::string(rest), "");
      break;
    default:
      pixel_path(rest);
      break;
  }
  return 0;
}
