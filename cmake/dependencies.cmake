# Every third-party library comes from Debian's packages (./dev setup installs them).
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(simdjson REQUIRED)
# Debian's librdkafka-dev ships pkg-config files only, no CMake package.
find_package(PkgConfig REQUIRED)
pkg_check_modules(rdkafka REQUIRED IMPORTED_TARGET rdkafka)
pkg_check_modules(zstd REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(xxhash REQUIRED IMPORTED_TARGET libxxhash)
# libdeflate (libdeflate-dev) compresses gzip JSON Lines and Parquet pages: whole buffers at a
# time, twice as fast as zlib's deflate. zlib stays for reading gzip (request bodies, convert).
pkg_check_modules(libdeflate REQUIRED IMPORTED_TARGET libdeflate)
# ISA-L (libisal-dev) is gzip's level 1: Intel's igzip, 3.4× libdeflate's level 1 (src/format/gzip.h).
pkg_check_modules(isal REQUIRED IMPORTED_TARGET libisal)
# jemalloc (libjemalloc-dev) for the binaries, not the libraries or tests: the pipeline allocates
# many small, short-lived strings across threads, where it costs 10-20% less CPU than glibc's
# malloc (bench/collector, bench/parquet). Sanitizer builds keep their own allocator.
pkg_check_modules(jemalloc REQUIRED IMPORTED_TARGET jemalloc)
find_package(Snappy REQUIRED)
if(CT_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
# store/: libcurl (libcurl4-openssl-dev) for S3 and credential endpoints, OpenSSL's libcrypto
# for SigV4's SHA-256 and HMAC.
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
# enrich/: RE2 (libre2-dev) runs uap-core's user-agent rules, Vectorscan (libvectorscan-dev, the
# portable Hyperscan: x86-64 and arm64) picks the few rules worth running, yaml-cpp reads the rule
# file, libmaxminddb reads the operator's geo databases.
pkg_check_modules(re2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(hyperscan REQUIRED IMPORTED_TARGET libhs)
pkg_check_modules(maxminddb REQUIRED IMPORTED_TARGET libmaxminddb)
find_package(yaml-cpp REQUIRED)
