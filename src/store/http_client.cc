#include "store/http_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

#include "base/text.h"
#include "store/curl_library.h"

namespace clicktrail::store {
namespace {

using base::trim;

// libcurl once a client exists: http_client's constructor has loaded it, or send() refuses.
const curl_library& curl() {
  return *load_curl().value();
}

struct body_source {
  std::string_view bytes;
  size_t offset = 0;
};

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* src = static_cast<body_source*>(user);
  const size_t n = std::min(size * count, src->bytes.size() - src->offset);
  std::memcpy(buffer, src->bytes.data() + src->offset, n);
  src->offset += n;
  return n;
}

// curl rewinds the body when it must send it again on a new connection (a reused connection
// the server had closed).
int on_seek(void* user, curl_off_t offset, int origin) {
  auto* src = static_cast<body_source*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > src->bytes.size())
    return CURL_SEEKFUNC_FAIL;
  src->offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
  static_cast<http_response*>(user)->body.append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<http_response*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    response->headers.clear();  // a new status line (after 100 Continue, or a retry inside curl)
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(trim(line.substr(0, colon)));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
    response->headers[std::move(name)] = std::string(trim(line.substr(colon + 1)));
  }
  return size * count;
}

bool transient(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_OUT_OF_MEMORY:
      return false;
    default:  // timeouts, refused/reset connections, DNS, empty or cut replies
      return true;
  }
}

struct slist_deleter {
  void operator()(curl_slist* l) const noexcept { curl().slist_free_all(l); }
};

}  // namespace

void http_client::handle_deleter::operator()(void* h) const noexcept {
  curl().easy_cleanup(static_cast<CURL*>(h));
}

http_client::http_client(http_client_options options) : options_(std::move(options)) {
  if (auto loaded = load_curl(); !loaded) unavailable_ = loaded.err().message;
}

http_client::~http_client() = default;

http_client::handle http_client::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      handle h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  handle h(curl().easy_init());
  if (!h) throw std::runtime_error("curl_easy_init failed: out of memory");
  return h;
}

void http_client::release(handle h) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < options_.max_idle_handles) idle_.push_back(std::move(h));
}

base::result<http_response> http_client::send(const http_request& r) {
  if (!unavailable_.empty()) return base::error::fail(unavailable_);
  const curl_library& lib = curl();
  handle h = acquire();
  CURL* c = static_cast<CURL*>(h.get());
  lib.easy_reset(c);  // options only: the connection cache stays

  std::unique_ptr<curl_slist, slist_deleter> headers;
  auto add_header = [&headers, &lib](const std::string& line) {
    curl_slist* next = lib.slist_append(headers.get(), line.c_str());
    if (!next) throw std::runtime_error("curl_slist_append failed: out of memory");
    (void)headers.release();
    headers.reset(next);
  };
  for (const auto& [name, value] : r.headers) {
    // "Name;" is how curl sends a header with an empty value ("Name:" would remove it).
    std::string line = name;
    line += value.empty() ? ";" : ": ";
    line += value;
    add_header(line);
  }
  // No "Expect: 100-continue" round trip before bodies: S3 answers errors after the body anyway.
  add_header("Expect:");

  http_response response;
  body_source body{r.body};
  std::array<char, CURL_ERROR_SIZE> why{};
  lib.easy_setopt(c, CURLOPT_URL, r.url.c_str());
  lib.easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);  // keys may contain "." and ".." segments
  lib.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);    // no SIGALRM for DNS timeouts: threads
  lib.easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  lib.easy_setopt(c, CURLOPT_ERRORBUFFER, why.data());
  lib.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count()));
  if (r.timeout.count() > 0) lib.easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
  lib.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  lib.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(r.stall_timeout.count()));
  if (!options_.ca_bundle.empty()) lib.easy_setopt(c, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  lib.easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  lib.easy_setopt(c, CURLOPT_HEADERDATA, &response);
  lib.easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_write);
  lib.easy_setopt(c, CURLOPT_WRITEDATA, &response);

  if (r.method == "HEAD") {
    lib.easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (r.method == "PUT" || r.method == "POST" || !r.body.empty()) {
    lib.easy_setopt(c, CURLOPT_UPLOAD, 1L);  // a PUT; the method is set below for POST
    lib.easy_setopt(c, CURLOPT_READFUNCTION, &on_read);
    lib.easy_setopt(c, CURLOPT_READDATA, &body);
    lib.easy_setopt(c, CURLOPT_SEEKFUNCTION, &on_seek);
    lib.easy_setopt(c, CURLOPT_SEEKDATA, &body);
    lib.easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  }
  if (r.method != "GET" && r.method != "HEAD" && r.method != "PUT") {
    lib.easy_setopt(c, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  lib.easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

  const CURLcode code = lib.easy_perform(c);
  lib.easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);  // `why` is about to go
  if (code != CURLE_OK) {
    const std::string detail = why[0] != '\0' ? std::string(why.data()) : lib.easy_strerror(code);
    // A failed transfer may leave the connection in any state: drop the handle and its cache.
    std::string message =
        fmt::format("{} {}: {} (curl error {})", r.method, r.url, detail, static_cast<int>(code));
    return transient(code) ? base::error::retry(std::move(message)) : base::error::fail(std::move(message));
  }
  lib.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  release(std::move(h));
  return response;
}

}  // namespace clicktrail::store
