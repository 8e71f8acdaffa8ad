#include "store/curl_library.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <string>

namespace clicktrail::store {
namespace {

// The soname of libcurl 7.16 and later: the ABI these declarations describe.
constexpr const char* soname = "libcurl.so.4";

template <class F>
bool resolve(void* library, const char* name, F& out, std::string& missing) {
  out = reinterpret_cast<F>(dlsym(library, name));
  if (out == nullptr) missing += std::string(missing.empty() ? "" : ", ") + name;
  return out != nullptr;
}

base::result<const curl_library*> load() {
  // Never closed: handles and the connection cache live as long as the process.
  void* library = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    return base::error::fail(
        fmt::format("S3 needs libcurl, which could not be loaded ({}); install it "
                    "(Debian: apt-get install libcurl4)",
                    dlerror()));  // NOLINT(concurrency-mt-unsafe): once, under load_curl's guard
  }
  static curl_library curl;
  std::string missing;
  decltype(&curl_global_init) global_init = nullptr;
  resolve(library, "curl_global_init", global_init, missing);
  resolve(library, "curl_easy_init", curl.easy_init, missing);
  resolve(library, "curl_easy_cleanup", curl.easy_cleanup, missing);
  resolve(library, "curl_easy_reset", curl.easy_reset, missing);
  resolve(library, "curl_easy_setopt", curl.easy_setopt, missing);
  resolve(library, "curl_easy_perform", curl.easy_perform, missing);
  resolve(library, "curl_easy_getinfo", curl.easy_getinfo, missing);
  resolve(library, "curl_easy_strerror", curl.easy_strerror, missing);
  resolve(library, "curl_slist_append", curl.slist_append, missing);
  resolve(library, "curl_slist_free_all", curl.slist_free_all, missing);
  if (!missing.empty()) {
    return base::error::fail(fmt::format("{} lacks {}; libcurl 7.17 or later is needed", soname, missing));
  }
  // curl_global_init is not thread-safe in every libcurl build: here it runs once, under the
  // function-local static's guard in load_curl().
  if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return base::error::fail("curl_global_init failed");
  return &curl;
}

}  // namespace

base::result<const curl_library*> load_curl() {
  static const base::result<const curl_library*> loaded = load();
  return loaded;
}

}  // namespace clicktrail::store
