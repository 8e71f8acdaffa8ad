#pragma once
// Test helper: reads gzip files as gzip(1) does, with zlib, an implementation of its own.

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace clicktrail::format::test {

// Every gzip member of `in`, end to end, as gzip(1) and zlib's gzread read a file; `members`
// counts them.
inline std::string gunzip(const std::string& in, int& members) {
  z_stream zs{};
  inflateInit2(&zs, 16 + MAX_WBITS);
  std::string out;
  char buf[65536];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  members = 0;
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
    if (rc == Z_STREAM_END) {
      ++members;
      if (zs.avail_in > 0) rc = inflateReset(&zs);  // the next member
    }
  }
  EXPECT_EQ(rc, Z_STREAM_END) << "the file ends inside a member";
  inflateEnd(&zs);
  return out;
}

}  // namespace clicktrail::format::test
