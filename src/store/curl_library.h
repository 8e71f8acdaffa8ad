#pragma once
// libcurl, loaded the first time an HTTP client is made instead of when the process starts.
//
// Debian's libcurl brings 25 shared libraries with it (GnuTLS for RTMP, LDAP, Kerberos, SSH…).
// Resolving all of them at start-up took about half of every command's start, and most
// commands never talk to S3: `clicktrail lambda` (whose cold start is a product target),
// `collect`, `run` with a local directory, `inspect`, `convert`. Only the S3 store and the
// credential endpoints use HTTP, and they come here.
//
// Thread-safety: load_curl() may be called from any thread; the library is loaded once.

#include <curl/curl.h>

#include "base/result.h"

namespace clicktrail::store {

// The libcurl functions clicktrail calls, with the types <curl/curl.h> declares.
struct curl_library {
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_reset) easy_reset;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
};

// libcurl, loaded and globally initialised, or a fail error naming the package that provides it.
base::result<const curl_library*> load_curl();

}  // namespace clicktrail::store
