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

# Static archives in place of shared libraries, where Debian ships them, for every build but the
# sanitizer and fuzz ones (start-up does not matter there, and they keep the link their runtimes
# are tested with): each shared library is one more file for the loader to find, map and
# relocate at every start, about half of a start's CPU before this (bench/README.md, "lambda"); 25
# shared libraries became 12.
#
# OpenSSL is among them, although a second, shared OpenSSL can join the process: libcurl's, when
# the S3 client first loads it (store/), and the Cyrus SASL plugins' that librdkafka loads at
# start where libsasl2-modules is installed (not in the Lambda image, whose plugin folder is
# empty). Each binds to its own: the program's OpenSSL symbols are kept out of its dynamic symbol
# table (--exclude-libs), and the two never exchange objects.
option(CT_STATIC_ARCHIVES "Link Debian's static archives of the dependencies that ship one" ON)

# ct_find_archive(<name>): CT_ARCHIVE_<name>, the path of Debian's lib<name>.a (not one in
# /usr/local, which need not match the headers the build compiled against).
function(ct_find_archive name)
  find_library(CT_ARCHIVE_${name} NAMES lib${name}.a PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE} /usr/lib
               NO_DEFAULT_PATH)
  if(NOT CT_ARCHIVE_${name})
    message(FATAL_ERROR "lib${name}.a not found: install its Debian -dev package (./dev setup), "
                        "or configure with -DCT_STATIC_ARCHIVES=OFF")
  endif()
endfunction()

# ct_link_archive(<imported target> <name> [<what the archive needs>...]): <target> links
# lib<name>.a, which itself needs the libraries after it.
function(ct_link_archive target name)
  ct_find_archive(${name})
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")  # pkg-config's targets: the library's path is an interface link
    set_property(TARGET ${target} PROPERTY INTERFACE_LINK_LIBRARIES ${CT_ARCHIVE_${name}} ${ARGN})
    return()
  endif()
  set_property(TARGET ${target} PROPERTY IMPORTED_LOCATION ${CT_ARCHIVE_${name}})
  get_target_property(configs ${target} IMPORTED_CONFIGURATIONS)
  foreach(config IN LISTS configs)
    if(config)
      set_property(TARGET ${target} PROPERTY IMPORTED_LOCATION_${config} ${CT_ARCHIVE_${name}})
    endif()
  endforeach()
  set_property(TARGET ${target} APPEND PROPERTY INTERFACE_LINK_LIBRARIES ${ARGN})
endfunction()

if(CT_STATIC_ARCHIVES AND NOT CT_SANITIZE AND NOT CT_SANITIZE_THREAD AND NOT CT_FUZZ)
  # librdkafka's own dependencies, as its pkg-config file lists them for a static link, lz4's
  # archive (liblz4-dev) among them. What stays shared: Cyrus SASL (libsasl2-dev), whose archive
  # holds its plugins and needs OpenSSL's DES; xxhash, whose archive's symbols librdkafka's
  # holds a copy of; and simdjson, fmt, spdlog, toml++ and ISA-L, which Debian ships no archive
  # of (libstdc++ stays shared with them).
  ct_find_archive(lz4)
  ct_link_archive(PkgConfig::rdkafka rdkafka ${CT_ARCHIVE_lz4} m PkgConfig::zstd sasl2 OpenSSL::SSL
                  OpenSSL::Crypto ZLIB::ZLIB ${CMAKE_DL_LIBS} Threads::Threads rt)
  ct_link_archive(OpenSSL::SSL ssl)  # which already names OpenSSL::Crypto
  ct_link_archive(OpenSSL::Crypto crypto ${CMAKE_DL_LIBS} Threads::Threads)
  set_property(TARGET OpenSSL::Crypto APPEND PROPERTY INTERFACE_LINK_OPTIONS
                                                      "LINKER:--exclude-libs,libssl.a:libcrypto.a")
  ct_link_archive(PkgConfig::zstd zstd Threads::Threads)
  ct_link_archive(ZLIB::ZLIB z)
  ct_link_archive(PkgConfig::libdeflate deflate)
  ct_link_archive(Snappy::snappy snappy)
  ct_link_archive(PkgConfig::re2 re2 Threads::Threads)
  ct_link_archive(PkgConfig::hyperscan hs)
  ct_link_archive(PkgConfig::maxminddb maxminddb)
  ct_link_archive(yaml-cpp yaml-cpp)
  ct_link_archive(PkgConfig::jemalloc jemalloc m ${CMAKE_DL_LIBS} Threads::Threads)
endif()
