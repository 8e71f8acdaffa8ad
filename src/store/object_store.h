#pragma once
// Where the sink's files go: a local directory or an S3 bucket, behind one interface. Keys are
// relative to the store's root (the prefix of s3://bucket/prefix, or the directory), always
// with '/' separators, never starting with '/'.
//
// Thread-safety: a store may be used from several threads at once; an upload belongs to one
// thread at a time.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace clicktrail::store {

struct object_info {
  std::string key;  // relative to the store's root
  std::int64_t size = 0;
  std::int64_t modified_ms = 0;  // when it was last written, ms since 1970; list() sets it, head() may not
};

// An object's bytes with the version that conditional writes (put_if) name: S3's ETag, or for a
// directory a digest of the bytes.
struct stored_object {
  std::string bytes;
  std::string version;
};

// An object being written. Bytes are appended as they are produced; a store that uploads in
// parts (S3 multipart, above its part size) sends each part as it fills, so memory stays bounded
// by one part whatever the object's size. Nothing is visible under the key before commit()
// succeeds. Destroying an upload that was not committed aborts it (and removes its parts).
//
// An upload never overwrites: commit() publishes only where no object is. An object already
// under the key that this upload did not write, or an upload that someone else aborted (or
// retired, below), is outcome::conflict — the writer has lost the key to another one.
class upload {
 public:
  virtual ~upload() = default;
  virtual base::status write(std::string_view bytes) = 0;
  // Makes the object visible, whole, under its key, if no other object is there. After an error
  // the upload is aborted.
  virtual base::status commit() = 0;
  virtual void abort() = 0;
  virtual std::int64_t bytes_written() const = 0;
  // Bytes held in memory, not yet sent (S3: the part being filled). What the sink's cap on
  // buffered bytes adds up.
  virtual std::int64_t buffered_bytes() const = 0;
};

class object_store {
 public:
  virtual ~object_store() = default;

  virtual base::result<std::unique_ptr<upload>> begin_upload(std::string key) = 0;
  // A small object in one request: replaces any existing one.
  virtual base::status put(std::string_view key, std::string_view bytes) = 0;
  // A small object in one request, written only while the object is still at version `expected`
  // (nullopt: while there is none) — a compare-and-swap, for state several writers may race on
  // (the sink's intent objects). Returns the new version, or nullopt when another writer changed
  // the object first. Finding exactly `bytes` there counts as success: a write whose answer was
  // lost, repeated.
  virtual base::result<std::optional<std::string>> put_if(std::string_view key, std::string_view bytes,
                                                          const std::optional<std::string>& expected) = 0;
  // nullopt when the object does not exist.
  virtual base::result<std::optional<stored_object>> read(std::string_view key) = 0;
  // read() without the version.
  base::result<std::optional<std::string>> get(std::string_view key);
  virtual base::result<std::optional<object_info>> head(std::string_view key) = 0;
  // Every object whose key starts with `prefix`, sorted by key (all pages).
  virtual base::result<std::vector<object_info>> list(std::string_view prefix) = 0;
  // Removing an object that does not exist succeeds.
  virtual base::status remove(std::string_view key) = 0;
  // Removes what unfinished uploads of `key` left behind when their process died: S3 multipart
  // uploads are aborted (their parts are billed until then), a directory's temporary files are
  // deleted. Never while this process has an upload of `key` open.
  virtual base::status remove_unfinished(std::string_view key) = 0;
  // Takes `key` from whoever may still be writing it, for good: once this returns, no upload of
  // `key` begun earlier — by this process or a stalled one elsewhere — can publish it, and `key`
  // holds no records. A directory removes the object and the uploads' temporary files (a
  // publish is a rename of one of those). S3 cannot stop a CompleteMultipartUpload already in
  // progress, so it puts `empty` — a valid file of the key's format with no records — over the
  // key, which makes every later conditional publish fail, then aborts the key's multipart
  // uploads. Used on keys no new data will ever go to (docs/sink.md, "Fencing").
  virtual base::status retire(std::string_view key, std::string_view empty) = 0;

  // "s3://bucket/prefix" or "/var/lib/clicktrail/out", for messages.
  virtual std::string describe() const = 0;

  // For /readyz, from any thread: while the store's requests keep failing (retries under way),
  // what the last one said and for how long; nullopt once a request succeeds again.
  virtual std::optional<std::string> failing() const { return std::nullopt; }
};

}  // namespace clicktrail::store
